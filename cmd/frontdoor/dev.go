package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func newDevCmd() *cobra.Command {
	cfg := gatewayConfig{
		source:      "dir",
		listen:      "127.0.0.1:8080",
		adminListen: "127.0.0.1:9090",
		env:         snapshot.EnvSandbox,
		poll:        30 * time.Second,
		// Local defaults: local rate limits, no access log unless asked,
		// JWKS from loopback allowed.
		ratelimitPolicy:   "fail-open",
		replicas:          1,
		allowInsecureJWKS: true,
	}
	c := &cobra.Command{
		Use:   "dev DIR",
		Short: "Run a local gateway over a configuration directory, recompiling on every change",
		Long: `dev compiles the configuration repository in DIR, serves it on a local
gateway, and recompiles and hot-swaps it whenever a file changes. A change
that does not compile keeps the previous configuration serving; the errors
are printed and shown at the admin URL's /status.

Rate limits are local; the access log is off unless --access-log-dir is set;
--mock-upstreams answers for the example APIs' loopback upstreams.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cfg.dir = args[0]
			return runGateway(c.Context(), cfg, c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	c.Flags().StringVar(&cfg.listen, "listen", cfg.listen, "gateway listen address")
	c.Flags().StringVar(&cfg.adminListen, "admin-listen", cfg.adminListen, "admin listen address")
	c.Flags().StringVar(&cfg.env, "env", cfg.env, "environment of requests whose Host matches no environment")
	c.Flags().StringVar(&cfg.catalogListen, "catalog-listen", "127.0.0.1:8081", "serve the public catalogue, rebuilt on every change, at this address (empty: off)")
	c.Flags().BoolVar(&cfg.mockUpstreams, "mock-upstreams", false, "serve an echo backend on every loopback upstream of the --env environment")
	addDataPlaneFlags(c, &cfg)
	return c
}
