package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

const (
	// shutdownTimeout bounds how long in-flight health requests may delay the
	// daemon's own shutdown (ECS stops the task 30 s after SIGTERM).
	shutdownTimeout = 2 * time.Second
	// checkTimeout is the whole budget of one `healthcheck` run; the ECS
	// healthCheck timeout (default 5 s) must stay above it.
	checkTimeout = 2 * time.Second
)

// ErrDisabled is returned by Check when `[health] listen` is empty: there is
// no endpoint to ask, and the caller decides whether that is a failure.
var ErrDisabled = errors.New("health endpoint disabled ([health] listen is empty)")

// Handler serves /healthz (200 while every loop beats within its allowance,
// else 503) and /readyz (200 once every loop has had a successful cycle and
// none is stalled, else 503). Both bodies are the JSON Status.
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		st := r.Snapshot()
		writeStatus(w, st, st.Healthy)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		st := r.Snapshot()
		writeStatus(w, st, st.Healthy && st.Ready)
	})
	r.mu.Lock()
	pages := r.pages
	r.mu.Unlock()
	if pages != nil {
		mux.Handle("/", pages)
	}
	return mux
}

func writeStatus(w http.ResponseWriter, st Status, ok bool) {
	code := http.StatusOK
	if !ok {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	// The status holds loop names and times only, nothing secret.
	_ = json.NewEncoder(w).Encode(st)
}

// Serve listens on listen and serves Handler until ctx is cancelled, then
// shuts the server down. An empty listen means the endpoint is off: Serve
// returns nil at once so callers can start it unconditionally in an errgroup.
func (r *Registry) Serve(ctx context.Context, listen string, logger *slog.Logger) error {
	if listen == "" {
		return nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", listen)
	if err != nil {
		return fmt.Errorf("listen for health endpoint on %s: %w", listen, err)
	}
	return r.ServeListener(ctx, ln, logger)
}

// ServeListener is Serve on an existing listener (tests use 127.0.0.1:0). It
// closes ln.
func (r *Registry) ServeListener(ctx context.Context, ln net.Listener, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "health")
	srv := &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      5 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("health endpoint listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		// Serve never returns nil; anything here is a real failure.
		return fmt.Errorf("serve health endpoint: %w", err)
	case <-ctx.Done():
	}
	// ctx is already done; the shutdown needs its own short budget.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shut down health endpoint: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve health endpoint: %w", err)
	}
	return nil
}

// Check asks the daemon's /healthz on listen (the `[health] listen` value)
// and returns nil only for a 200. It is what `ecs-cron-monitor healthcheck`
// runs; the whole call is bounded by 2 s. A wildcard listen address
// (":8080", "0.0.0.0:8080", "[::]:8080") is dialled on loopback, because the
// check runs inside the same network namespace as the daemon.
func Check(ctx context.Context, listen string) error {
	if listen == "" {
		return ErrDisabled
	}
	addr, err := DialAddr(listen)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("build health request for %s: %w", addr, err)
	}
	client := &http.Client{
		Timeout: checkTimeout,
		// Never route a loopback check through HTTP(S)_PROXY from the task
		// environment.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("query health endpoint %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return fmt.Errorf("health endpoint %s: %s: %s", addr, resp.Status, stalledLoops(body))
}

// stalledLoops names the unhealthy loops in a /healthz body so the ECS health
// check output says what is stuck; it falls back to a fixed text.
func stalledLoops(body []byte) string {
	var st Status
	if err := json.Unmarshal(body, &st); err != nil {
		return "unreadable status body"
	}
	var names []string
	for _, l := range st.Loops {
		if !l.Healthy {
			names = append(names, l.Name)
		}
	}
	if len(names) == 0 {
		return "no stalled loop reported"
	}
	return fmt.Sprintf("stalled loops %q", names)
}

// DialAddr turns a listen address into one a client can dial: an empty or
// unspecified host becomes 127.0.0.1 (or ::1 for an IPv6 wildcard).
func DialAddr(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("parse health listen address %q: %w", listen, err)
	}
	if port == "" {
		return "", fmt.Errorf("parse health listen address %q: missing port", listen)
	}
	switch {
	case host == "":
		host = "127.0.0.1"
	case host == "::":
		host = "::1"
	default:
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
	}
	return net.JoinHostPort(host, port), nil
}
