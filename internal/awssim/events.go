package awssim

// eventsState is the simulated EventBridge (rules, targets) and EventBridge
// Scheduler (schedule groups, schedules).
type eventsState struct{}

func (e *eventsState) init() {}

// eventsHandler returns the handler of an EventBridge operation, nil if unknown.
func (s *Server) eventsHandler(op string) handler { return nil }

// schedulerRoute maps a Scheduler REST request to its operation name
// ("scheduler:ListSchedules"), handler and path parameters.
func (s *Server) schedulerRoute(method, path string) (string, handler, map[string]string) {
	return "", nil, nil
}
