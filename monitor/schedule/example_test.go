package schedule_test

import (
	"fmt"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor/schedule"
)

func ExampleParse() {
	s, err := schedule.Parse("cron(0 9 ? * MON-FRI *)", "Asia/Tokyo")
	if err != nil {
		fmt.Println(err)
		return
	}
	friday := time.Date(2026, 3, 13, 9, 0, 0, 0, time.UTC)
	fmt.Println(s.Next(friday))
	// Output: 2026-03-16 09:00:00 +0900 JST
}

func ExampleRate() {
	s, err := schedule.Parse("rate(15 minutes)", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := s.(schedule.Rate)
	now := time.Date(2026, 3, 10, 12, 7, 0, 0, time.UTC)
	fmt.Println("unanchored:", r.Next(now).Format(time.Kitchen))
	fmt.Println("anchored:  ", r.WithAnchor(time.Date(2026, 3, 1, 0, 5, 0, 0, time.UTC)).Next(now).Format(time.Kitchen))
	// Output:
	// unanchored: 12:22PM
	// anchored:   12:20PM
}
