package monitor

import (
	"slices"
	"strconv"
	"strings"
)

// Stop codes the classification looks at. ECS adds new ones over time
// (InfrastructureHealth), so stopCode stays an open string and anything not
// named here is judged by the containers' exit codes alone.
const (
	stopCodeFailedToStart = "TaskFailedToStart"
	stopCodeUserInitiated = "UserInitiated"
	// stopCodeSpotInterruption ends a Fargate Spot task whose capacity AWS
	// reclaimed (after a TerminationNotice event two minutes earlier, with
	// stoppedReason "Your Spot Task was interrupted.").
	stopCodeSpotInterruption = "SpotInterruption"
)

// Exit codes of a container ended by a signal: 128+SIGKILL and 128+SIGTERM.
// docker stop (StopTask, and ECS stopping the other containers once an
// essential one exits) sends SIGTERM, then SIGKILL after the stop timeout.
const (
	exitSIGKILL = 137
	exitSIGTERM = 143
)

// isStartError reports whether a stopped-task error says the task, or the
// container, never got to run its command (docs/AWS-NOTES.md §1).
func isStartError(reason string) bool {
	startErrors := [...]string{
		"CannotPullContainerError",
		"ResourceInitializationError",
		"CannotStartContainerError",
		"CannotCreateVolumeError",
		"CannotInspectContainerError",
		"ContainerRuntimeTimeoutError",
		"DockerTimeoutError",
		"TaskFailedToStart",
	}
	for _, p := range startErrors {
		if strings.HasPrefix(reason, p) {
			return true
		}
	}
	return false
}

// isOOM reports whether a container reason says it was killed for memory
// ("OutOfMemoryError: Container killed due to memory usage").
func isOOM(reason string) bool { return strings.Contains(reason, "OutOfMemory") }

// Classify decides whether a task's run failed. It returns nil for a task
// that has not stopped, for a successful run (every judged container exited
// 0 or with an ignored code), and for a run a person stopped by hand. The
// Failure has no LogURL or EventID; the caller adds them.
//
// essential says whether the task definition marks a container essential;
// nil means "all are" (the task definition could not be read). A container
// is judged when it is essential and not one of the cluster's Sidecars, or
// when the job asks for sidecars to be reported (ReportSidecars).
//
// Decisions, in order:
//   - spot_interrupted: stopCode SpotInterruption. The run did not finish,
//     through no fault of its own: whatever the containers exited with (the
//     SIGTERM, SIGKILL that reclaim sends) is context, not the cause.
//   - never_started: stopCode TaskFailedToStart, or a judged container (or
//     the stoppedReason) carries a start error such as
//     CannotPullContainerError while no judged container has an exit code.
//   - out_of_memory: a judged container was killed for memory (exit 137
//     with an OutOfMemoryError reason).
//   - UserInitiated with only SIGTERM/SIGKILL exits is not a failure: an
//     SRE running `aws ecs stop-task` is not a failed cron run, and alerting
//     on it would teach people to ignore the channel. Other non-zero exits
//     under UserInitiated are still failures.
//   - exit_code: a judged container exited non-zero and the job does not
//     ignore that code. A container that exited on its own (exit 1) is
//     named before one ECS killed afterwards (137/143).
//   - A sidecar judged only because of ReportSidecars is not blamed for
//     exiting 137/143: ECS sends that signal to every container once the
//     essential one is done, so it says nothing about the sidecar.
//   - stopped without any exit code or start error and not by a user (the
//     host was reclaimed): exit_code with no exit code, so the run is not
//     silently lost.
func Classify(t Task, job JobRef, essential func(container string) bool) *Failure {
	if t.LastStatus != "STOPPED" {
		return nil
	}
	isSidecar := func(name string) bool {
		return (essential != nil && !essential(name)) || slices.Contains(job.Sidecars, name)
	}
	var judged []Container
	for _, c := range t.Containers {
		if !isSidecar(c.Name) || job.ReportSidecars {
			judged = append(judged, c)
		}
	}
	base := Failure{
		StopCode:      t.StopCode,
		StoppedReason: t.StoppedReason,
		StartedBy:     t.StartedBy,
		StartedAt:     t.StartedAt,
		StoppedAt:     t.StoppedAt,
	}
	ran := slices.ContainsFunc(judged, func(c Container) bool { return c.ExitCode != nil })

	if t.StopCode == stopCodeSpotInterruption {
		return spotInterrupted(judged, base)
	}
	if f := neverStarted(t, judged, ran, base); f != nil {
		return f
	}
	for _, c := range judged {
		if c.ExitCode != nil && *c.ExitCode != 0 && isOOM(c.Reason) {
			return withContainer(base, CauseOOM, c)
		}
	}
	userStopped := t.StopCode == stopCodeUserInitiated
	var killed *Container
	for i, c := range judged {
		if c.ExitCode == nil || *c.ExitCode == 0 || slices.Contains(job.IgnoreExitCodes, *c.ExitCode) {
			continue
		}
		if signalled(*c.ExitCode) {
			if userStopped || isSidecar(c.Name) {
				continue
			}
			if killed == nil {
				killed = &judged[i]
			}
			continue
		}
		return withContainer(base, CauseExit, c)
	}
	if killed != nil {
		return withContainer(base, CauseExit, *killed)
	}
	if !ran && !userStopped && len(judged) > 0 {
		// Stopped with nothing to show for it: report it rather than count
		// it as a success. Name the first judged container for context.
		return withContainer(base, CauseExit, judged[0])
	}
	return nil
}

// neverStarted returns a never_started failure, or nil.
func neverStarted(t Task, judged []Container, ran bool, base Failure) *Failure {
	failedToStart := t.StopCode == stopCodeFailedToStart
	if !failedToStart && ran {
		return nil
	}
	for _, c := range judged {
		if c.ExitCode == nil && isStartError(c.Reason) {
			return withContainer(base, CauseNeverStarted, c)
		}
	}
	if failedToStart || isStartError(t.StoppedReason) {
		f := base
		f.Cause = CauseNeverStarted
		for _, c := range judged {
			if c.ExitCode == nil && c.Reason != "" {
				f.Container, f.Reason = c.Name, c.Reason
				break
			}
		}
		return &f
	}
	return nil
}

// spotInterrupted is the failure of a run Fargate Spot reclaimed, naming
// the first judged container that exited (else the first judged one).
func spotInterrupted(judged []Container, base Failure) *Failure {
	for _, c := range judged {
		if c.ExitCode != nil {
			return withContainer(base, CauseSpotInterrupted, c)
		}
	}
	f := base
	f.Cause = CauseSpotInterrupted
	if len(judged) > 0 {
		f.Container, f.Reason = judged[0].Name, judged[0].Reason
	}
	return &f
}

func withContainer(base Failure, cause Cause, c Container) *Failure {
	f := base
	f.Cause = cause
	f.Container = c.Name
	f.Reason = c.Reason
	if c.ExitCode != nil {
		code := *c.ExitCode
		f.ExitCode = &code
	}
	return &f
}

func signalled(code int) bool { return code == exitSIGKILL || code == exitSIGTERM }

// UserStopped reports whether a person or tool stopped the task through the
// API (StopTask), as opposed to it ending by itself or by ECS.
func UserStopped(t Task) bool { return t.StopCode == stopCodeUserInitiated }

// failureMessage is the one-line text of a failed_task finding; notifiers
// render the details from Failure.
func failureMessage(f *Failure) string {
	// Concatenation, not fmt: this runs for every failed run.
	container := "its container"
	if f.Container != "" {
		container = "container " + f.Container
	}
	switch f.Cause {
	case CauseNeverStarted:
		return "the task never started"
	case CauseOOM:
		return container + " was killed for running out of memory"
	case CauseSpotInterrupted:
		return "the task was interrupted by a Fargate Spot reclaim"
	}
	if f.ExitCode == nil {
		return "the task stopped before " + container + " exited"
	}
	return container + " exited with code " + strconv.Itoa(*f.ExitCode)
}
