package oasref

import (
	"net/url"
	"path"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// Load loads the document file (its bytes data) with loader, whose
// ReadFromURIFunc reads the document's other files: the references OpenAPI
// does not allow where they are written (operations, part maps, Markdown)
// are inlined first (Inline, reading with read), then kin-openapi resolves
// the rest; a file that refers back to the document reads it inlined. It
// returns the first reference that could not be inlined as its error.
func Load(loader *openapi3.Loader, data []byte, file string, read Reader) (*openapi3.T, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	od, errs := Inline(&root, file, read)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	if od.Inlined {
		var err error
		if data, err = yaml.Marshal(od.Root); err != nil {
			return nil, err
		}
		next := loader.ReadFromURIFunc
		loader.ReadFromURIFunc = func(l *openapi3.Loader, u *url.URL) ([]byte, error) {
			if path.Clean(u.Path) == file {
				return data, nil
			}
			return next(l, u)
		}
	}
	return loader.LoadFromDataWithPath(data, &url.URL{Path: file})
}
