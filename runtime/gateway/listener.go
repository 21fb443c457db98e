package gateway

import (
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// overCapBody is the problem a connection over a cap receives.
const overCapBody = `{"type":"urn:frontdoor:problem:too-many-connections","title":"Too many connections",` +
	`"status":503,"detail":"the gateway's connection cap is reached"}`

// overCapResponse is what a connection over a cap receives before it is
// closed: a complete response that asks for no reply, so that clients
// report it rather than a reset.
var overCapResponse = "HTTP/1.1 503 Service Unavailable\r\n" +
	"Content-Type: " + ProblemContentType + "\r\n" +
	"Cache-Control: no-store\r\n" +
	"Retry-After: 1\r\n" +
	"Connection: close\r\n" +
	"Content-Length: " + strconv.Itoa(len(overCapBody)) + "\r\n" +
	"\r\n" + overCapBody

// refuseTimeout bounds how long a refused connection is held: to write the
// 503, and then to read what the client sent so that closing does not
// reset the connection before the client read the answer.
const refuseTimeout = time.Second

// maxRefusing bounds the refused connections being answered at once;
// beyond it (a flood), they are closed without an answer.
const maxRefusing = 1024

// ConnLimits are the caps of LimitListener.
type ConnLimits struct {
	// Max bounds the connections held at once, PerClient those from one
	// client IP address; zero means no cap.
	Max, PerClient int
	// Registerer, when set, receives the open connections gauge and the
	// refused connections counter (by cap: "total" or "client").
	Registerer prometheus.Registerer
	// Silent closes a refused connection without the 503: set it under a
	// TLS listener, whose clients a plaintext answer would only confuse
	// (and a handshake per refused connection would cost what the cap
	// saves).
	Silent bool
}

// LimitListener returns a listener over ln that holds at most lim.Max
// connections at once, and at most lim.PerClient from one client IP
// address. A connection over either cap is answered with a 503 (unless
// lim.Silent) and closed at once, rather than left waiting in the accept queue (as
// golang.org/x/net/netutil.LimitListener does): clients learn why, and a
// flood cannot make the gateway run out of file descriptors.
//
// A connection counts until it is closed, hijacked ones (WebSocket
// tunnels) included. Safe for concurrent use.
func LimitListener(ln net.Listener, lim ConnLimits) net.Listener {
	l := &limitListener{Listener: ln, max: lim.Max, perClient: lim.PerClient, silent: lim.Silent, by: map[netip.Addr]int{}}
	f := promauto.With(lim.Registerer)
	l.open = f.NewGauge(prometheus.GaugeOpts{Name: "frontdoor_gateway_connections", Help: "Client connections open on the gateway's listener."})
	l.refused = f.NewCounterVec(prometheus.CounterOpts{Name: "frontdoor_gateway_connections_refused_total",
		Help: "Client connections answered 503 and closed, by the cap they met (total or client)."}, []string{"cap"})
	return l
}

type limitListener struct {
	net.Listener
	max, perClient int
	silent         bool
	open           prometheus.Gauge
	refused        *prometheus.CounterVec

	mu    sync.Mutex
	total int
	by    map[netip.Addr]int

	refusing atomic.Int32
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if capped := l.take(ip); capped != "" {
			l.refused.WithLabelValues(capped).Inc()
			if l.silent {
				c.Close()
				continue
			}
			if l.refusing.Add(1) > maxRefusing {
				l.refusing.Add(-1)
				c.Close()
				continue
			}
			go func() {
				defer l.refusing.Add(-1)
				refuse(c)
			}()
			continue
		}
		return &limitedConn{Conn: c, l: l, ip: ip}, nil
	}
}

// take counts a new connection from ip, unless a cap is reached: it
// returns the cap's name then.
func (l *limitListener) take(ip netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.max > 0 && l.total >= l.max:
		return "total"
	case l.perClient > 0 && l.by[ip] >= l.perClient:
		return "client"
	}
	l.total++
	l.by[ip]++
	l.open.Inc()
	return ""
}

func (l *limitListener) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	l.open.Dec()
	if n := l.by[ip] - 1; n > 0 {
		l.by[ip] = n
	} else {
		delete(l.by, ip)
	}
}

// remoteIP is c's client address, IPv4-mapped addresses unmapped; the
// zero Addr when it has none (a Unix socket: one client).
func remoteIP(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// refuse answers c with overCapResponse and closes it.
func refuse(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(refuseTimeout))
	if _, err := io.WriteString(c, overCapResponse); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

// limitedConn releases its place when closed (once).
type limitedConn struct {
	net.Conn
	l    *limitListener
	ip   netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
