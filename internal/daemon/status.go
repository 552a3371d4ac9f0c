package daemon

import (
	"sort"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/web"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor/schedule"
)

// findingSink hands poller and schedule transitions to the dispatcher and
// to the open-incident list the status page shows.
type findingSink struct {
	*monitor.Dispatcher
	open *monitor.Incidents
}

func (s findingSink) Handle(f monitor.Finding) {
	s.open.Handle(f)
	s.Dispatcher.Handle(f)
}

// statusPage builds the status page and /api/jobs over the daemon's run
// history, task state, schedules and open incidents, as plain values.
func (d *Daemon) statusPage() web.Source {
	console := monitor.Console{Base: d.cfg.Slack.ConsoleURL}
	return func(now time.Time) web.Status {
		st := web.Status{Generated: now}
		byCluster := map[string][]monitor.JobHistory{}
		for _, h := range d.history.Jobs() {
			byCluster[h.Cluster] = append(byCluster[h.Cluster], h)
		}
		d.mu.RLock()
		cfg, schedules, jobs := d.cfg, d.schedules, d.jobs
		d.mu.RUnlock()
		for i, c := range cfg.Clusters {
			st.Clusters = append(st.Clusters, d.clusterStatus(c, jobs[c.Name], schedules[i].Expected(now), byCluster[c.Name], console))
		}
		return st
	}
}

func (d *Daemon) clusterStatus(c config.Cluster, js *monitor.Jobs, expected []monitor.Expectation, hist []monitor.JobHistory, console monitor.Console) web.Cluster {
	live := d.state.Live(c.Name)
	out := web.Cluster{Name: c.Name, Region: c.Region, Tasks: len(live), Limit: c.TaskLimit,
		Incidents: incidentsOf(d.incidents.Open(c.Name, ""))}
	out.Account, out.Quotas = d.quotaStatus(c)
	jobs := map[string]*web.Job{}
	job := func(name string) *web.Job {
		if jobs[name] == nil {
			jobs[name] = &web.Job{Cluster: c.Name, Name: name}
		}
		return jobs[name]
	}
	for _, j := range c.Jobs {
		job(j.Name())
	}
	for _, t := range live {
		job(js.Resolve(t).Name).Running++
	}
	for _, x := range expected {
		j := job(x.Job)
		j.Schedule, j.ScheduleWords, j.NextExpected = x.Expression, schedule.Describe(x.Expression, x.Timezone), x.Next
		if !x.Enabled {
			j.ScheduleWords = "disabled"
		}
	}
	for _, h := range hist {
		j := job(h.Job)
		j.LastSuccess, j.Runs, j.Failures = h.LastSuccess, len(h.Runs), h.Failures()
		j.P50, j.P95 = h.Percentiles()
		for _, r := range h.Runs {
			j.Recent = append(j.Recent, web.Run{TaskARN: r.TaskARN, StartedAt: r.StartedAt, StoppedAt: r.StoppedAt,
				Result: string(r.Result), ExitCode: r.ExitCode, Cause: string(r.Cause), Duration: r.Duration(),
				TaskURL: console.TaskURL(c.Region, monitor.ShortID(c.Name), r.TaskARN), LogURL: r.LogURL})
		}
		if n := len(j.Recent); n > 0 {
			last := j.Recent[n-1]
			j.LastRun = &last
		}
	}
	for _, name := range d.incidents.Jobs(c.Name) {
		job(name).Incidents = incidentsOf(d.incidents.Open(c.Name, name))
	}
	names := make([]string, 0, len(jobs))
	for n := range jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out.Jobs = append(out.Jobs, *jobs[n])
	}
	return out
}

// quotaStatus is the cluster's account as people read it and, with
// [quota], that account's Fargate vCPU readings in the cluster's region.
// Without a configured account the id the quota watcher learnt is shown.
func (d *Daemon) quotaStatus(c config.Cluster) (string, []web.Quota) {
	account := d.account(c.Name)
	var out []web.Quota
	d.mu.RLock()
	q := d.checks.quotaOf[scopeKey(c.Region, c.RoleARN)]
	d.mu.RUnlock()
	if q == nil {
		return account.String(), nil
	}
	for _, r := range q.Readings() {
		if account.ID == "" {
			account.ID = r.Account
		}
		level := ""
		switch r.Severity {
		case monitor.SeverityCritical:
			level = "bad"
		case monitor.SeverityWarning:
			level = "warn"
		}
		out = append(out, web.Quota{Class: r.Class, Used: r.Used, Limit: r.Quota, Level: level})
	}
	return account.String(), out
}

func incidentsOf(fs []monitor.Finding) []web.Incident {
	var out []web.Incident
	for _, f := range fs {
		out = append(out, web.Incident{Kind: string(f.Kind), Severity: string(f.Severity), Since: f.Since, Message: f.Message})
	}
	return out
}
