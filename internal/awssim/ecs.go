package awssim

// ecsState is the simulated ECS: clusters, task definitions and tasks.
type ecsState struct{}

func (e *ecsState) init() {}

// ecsHandler returns the handler of an ECS operation, nil if unknown.
func (s *Server) ecsHandler(op string) handler { return nil }
