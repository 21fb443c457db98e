package diagnosis

import (
	"io"
	"net/http"
	"net/textproto"
	"time"

	"github.com/frontdoor-dev/frontdoor/runtime/accesslog"
)

// Record is one recorded exchange, as encrypted on disk.
type Record struct {
	Time        string `json:"time"`
	RequestID   string `json:"requestId"`
	Environment string `json:"environment"`
	App         string `json:"app,omitempty"`
	Method      string `json:"method"`
	// Path and Query with NHS numbers redacted, credential parameters
	// replaced.
	Path            string              `json:"path"`
	Query           string              `json:"query,omitempty"`
	Status          int                 `json:"status"`
	LatencyMs       float64             `json:"latencyMs"`
	RequestHeaders  map[string][]string `json:"requestHeaders"`
	ResponseHeaders map[string][]string `json:"responseHeaders"`
	// Bodies, NHS numbers redacted, when the window allows them; cut at
	// Options.MaxBody (Truncated says so).
	RequestBody  string `json:"requestBody,omitempty"`
	ResponseBody string `json:"responseBody,omitempty"`
	Truncated    bool   `json:"truncated,omitempty"`

	seq   int
	plain []byte
}

// keptHeaders are the only headers recorded: what helps diagnose a fault
// and carries neither a credential nor an identity (no Authorization,
// Cookie, API key, or the identity headers the gateway sets upstream).
var keptHeaders = map[string]bool{}

func init() {
	for _, h := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Cache-Control", "Connection", "Content-Encoding",
		"Content-Language", "Content-Length", "Content-Range", "Content-Type", "Date", "Etag", "Expires",
		"If-Match", "If-Modified-Since", "If-None-Match", "Last-Modified", "Location", "Pragma", "Range",
		"Retry-After", "Server", "Traceparent", "Transfer-Encoding", "User-Agent", "Vary", "Via",
		"X-Request-Id", "X-Correlation-Id", "X-Frontdoor-Generation",
	} {
		keptHeaders[textproto.CanonicalMIMEHeaderKey(h)] = true
	}
}

// filterHeaders keeps the allowed headers, NHS numbers redacted.
func filterHeaders(h http.Header) map[string][]string {
	out := map[string][]string{}
	for name, vals := range h {
		if !keptHeaders[textproto.CanonicalMIMEHeaderKey(name)] {
			continue
		}
		vs := make([]string, len(vals))
		for i, v := range vals {
			vs[i] = accesslog.Redact(v)
		}
		out[name] = vs
	}
	return out
}

// Capture is the recording of one exchange in an open window. A request
// handler wraps the request body (RequestBody) and the response (Tap),
// then calls Finish once the response is complete.
type Capture struct {
	r     *Recorder
	w     *window
	start time.Time
	req   *capped
	resp  *capped
}

// Bodies reports whether the window records bodies.
func (c *Capture) Bodies() bool { return c.w.bodies }

// RequestBody returns body, recording what is read of it when the window
// records bodies.
func (c *Capture) RequestBody(body io.ReadCloser) io.ReadCloser {
	if !c.w.bodies || body == nil || body == http.NoBody {
		return body
	}
	c.req = &capped{max: c.r.opts.MaxBody}
	return readCloser{io.TeeReader(body, c.req), body}
}

// Tap returns a writer to copy the response body into, or nil when the
// window records no bodies.
func (c *Capture) Tap() io.Writer {
	if !c.w.bodies {
		return nil
	}
	c.resp = &capped{max: c.r.opts.MaxBody}
	return c.resp
}

// Finish records the exchange: r as it went upstream, the response's
// status and headers.
func (c *Capture) Finish(r *http.Request, path, query, reqID, env, app string, status int, respHeader http.Header) {
	rec := &Record{
		Time: c.start.UTC().Format(time.RFC3339Nano), RequestID: reqID, Environment: env, App: app,
		Method: r.Method, Path: accesslog.Redact(path), Query: accesslog.RedactQuery(query), Status: status,
		LatencyMs:      float64(time.Since(c.start).Microseconds()) / 1000,
		RequestHeaders: filterHeaders(r.Header), ResponseHeaders: filterHeaders(respHeader),
	}
	if c.req != nil {
		rec.RequestBody = accesslog.Redact(string(c.req.b))
		rec.Truncated = c.req.cut
	}
	if c.resp != nil {
		rec.ResponseBody = accesslog.Redact(string(c.resp.b))
		rec.Truncated = rec.Truncated || c.resp.cut
	}
	c.r.enqueue(c.w, rec)
}

// capped keeps the first max bytes written to it.
type capped struct {
	b   []byte
	max int
	cut bool
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if room := c.max - len(c.b); n > room {
		c.cut = true
		p = p[:max(room, 0)]
	}
	c.b = append(c.b, p...)
	return n, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
