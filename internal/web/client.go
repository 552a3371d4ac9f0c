package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/health"
)

// fetchTimeout bounds one `status` call.
const fetchTimeout = 5 * time.Second

// ErrDisabled is returned by Fetch when `[health] listen` is empty.
var ErrDisabled = errors.New("status page disabled ([health] listen is empty)")

// Fetch reads /api/jobs from the daemon listening on listen (the `[health]
// listen` value, dialled as `healthcheck` dials it).
func Fetch(ctx context.Context, listen string) ([]APIJob, error) {
	if listen == "" {
		return nil, ErrDisabled
	}
	addr, err := health.DialAddr(listen)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/jobs", nil)
	if err != nil {
		return nil, fmt.Errorf("build status request for %s: %w", addr, err)
	}
	// Never route a loopback request through HTTP(S)_PROXY.
	client := &http.Client{Timeout: fetchTimeout, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query status of the daemon at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("query status of the daemon at %s: %s", addr, resp.Status)
	}
	var jobs []APIJob
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&jobs); err != nil {
		return nil, fmt.Errorf("read status of the daemon at %s: %w", addr, err)
	}
	return jobs, nil
}
