package snapshot

import (
	"testing"
	"time"
)

// today is 2026-03-01 in UTC, read in a zone east of UTC where it is
// already 2026-03-02: days are UTC days.
var today = time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC).In(time.FixedZone("UTC+2", 2*3600))

func TestExpiredCountsTheLastValidDayAsValid(t *testing.T) {
	tests := []struct {
		name, lastDay string
		want          bool
	}{
		{"no expiry never expires", "", false},
		{"a future day has not expired", "2026-03-02", false},
		{"today has not expired", "2026-03-01", false},
		{"yesterday has expired", "2026-02-28", true},
		{"last year has expired", "2025-12-31", true},
		{"a malformed day counts as expired", "2026-3-1", true},
		{"a month 13 counts as expired", "2099-13-01", true},
		{"letters count as expired", "20x6-03-01", true},
		{"a day 00 counts as expired", "2026-03-00", true},
		{"a day with a time counts as expired", "2026-03-01T00:00", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Expired(tc.lastDay, DayNumber(today)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
