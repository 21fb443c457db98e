//go:build !unix

package source

import "os"

// readFile reads the file at path onto the heap; free is always nil.
func readFile(path string) (b []byte, free func(), err error) {
	b, err = os.ReadFile(path)
	return b, nil, err
}
