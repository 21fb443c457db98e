//go:build !linux

package repofs

import "os"

func (d *dirFS) open(name string) (*os.File, error) { return d.openChecked(name) }
