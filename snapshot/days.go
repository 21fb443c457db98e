package snapshot

import "time"

// DayNumber returns a time's UTC date as the number YYYYMMDD, the form
// Expired compares.
func DayNumber(t time.Time) int {
	y, m, d := t.UTC().Date()
	return y*10000 + int(m)*100 + d
}

// Expired reports whether a credential or grant whose last valid day is
// lastDay (YYYY-MM-DD; "" for never) has expired on today (YYYYMMDD). A
// malformed day has always expired: deny rather than guess. It does not
// allocate: the gateway calls it on every request.
func Expired(lastDay string, today int) bool {
	if lastDay == "" {
		return false
	}
	last, ok := parseDay(lastDay)
	return !ok || today > last
}

// parseDay parses YYYY-MM-DD into the number YYYYMMDD.
func parseDay(s string) (int, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if i == 4 || i == 7 {
			continue
		}
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if m, d := n/100%100, n%100; m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	return n, true
}
