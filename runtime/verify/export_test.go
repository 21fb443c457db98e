package verify

// SetWindowSize sets the size of the windows over files, and returns a
// function restoring it.
func SetWindowSize(n int) (restore func()) {
	old := windowSize
	windowSize = n
	return func() { windowSize = old }
}
