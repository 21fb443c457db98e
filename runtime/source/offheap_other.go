//go:build !unix

package source

import (
	"os"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

// readFile reads the file at path onto the heap, with its digest; free is
// always nil.
func readFile(path string) (b []byte, digest string, free func(), err error) {
	if b, err = os.ReadFile(path); err != nil {
		return nil, "", nil, err
	}
	return b, snapshot.Digest(b), nil, nil
}
