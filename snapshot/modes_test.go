package snapshot

import "testing"

// TestAHigherLevelOfAFamilySatisfiesALowerOne: a P9 user may use a P5
// grant, never the reverse, and families never mix.
func TestAHigherLevelOfAFamilySatisfiesALowerOne(t *testing.T) {
	tests := []struct {
		have, want string
		ok         bool
	}{
		{ModeNHSLoginP9, ModeNHSLoginP9, true},
		{ModeNHSLoginP9, ModeNHSLoginP5, true},
		{ModeNHSLoginP9, ModeNHSLoginP0, true},
		{ModeNHSLoginP5, ModeNHSLoginP9, false},
		{ModeNHSLoginP0, ModeNHSLoginP5, false},
		{ModeCIS2AAL3, ModeCIS2AAL1, true},
		{ModeCIS2AAL1, ModeCIS2AAL3, false},
		{ModeCIS2AAL3, ModeNHSLoginP0, false},
		{ModeNHSLoginP9, ModeCIS2AAL1, false},
		{ModeNHSLoginP9, ModeAppLevel3, false},
		{"nhs-login-p7", ModeNHSLoginP5, false},
	}
	for _, tc := range tests {
		t.Run(tc.have+" against "+tc.want, func(t *testing.T) {
			if got := Satisfies(tc.have, tc.want); got != tc.ok {
				t.Errorf("got %v, want %v", got, tc.ok)
			}
		})
	}
}
