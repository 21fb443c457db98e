//go:build tools

// Package deps pins the project's chosen dependencies while the packages
// that use them are being written, so that go mod tidy keeps them.
package deps

import (
	_ "cuelang.org/go/cue"
	_ "github.com/chromedp/chromedp"
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/go-git/go-git/v5"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/hashicorp/go-memdb"
	_ "github.com/microcosm-cc/bluemonday"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/santhosh-tekuri/jsonschema/v5"
	_ "github.com/spf13/cobra"
	_ "github.com/yuin/goldmark"
	_ "golang.org/x/net/html"
	_ "golang.org/x/time/rate"
	_ "golang.org/x/tools/txtar"
)
