//go:build !linux

package repofs

import "os"

func (d *dirFS) open(name string) (*os.File, error) { return d.openChecked(name) }

func (d *dirFS) readFile(name string, max int64, _ *[]byte) ([]byte, error) {
	f, err := d.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpen(f, name, max)
}
