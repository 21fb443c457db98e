package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/frontdoor-dev/frontdoor/snapshot"
)

func newKeygenCmd() *cobra.Command {
	var prefix string
	var force bool
	c := &cobra.Command{
		Use:   "keygen -o PREFIX",
		Short: "Generate an ed25519 key pair for signing snapshots",
		Long: `keygen writes a new ed25519 key pair: PREFIX.key, the private key (PKCS #8
PEM, mode 0600), for signing snapshots, and PREFIX.pub, the public key (PKIX
PEM), for gateways' --trust.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if prefix == "" {
				return usage("keygen needs -o PREFIX")
			}
			priv, pub, err := snapshot.GenerateKey()
			if err != nil {
				return err
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			if !force {
				flags |= os.O_EXCL
			}
			if err := writeKeyFile(prefix+".key", priv, 0o600, flags); err != nil {
				return err
			}
			if err := writeKeyFile(prefix+".pub", pub, 0o644, flags); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %s.key (private, keep it secret) and %s.pub (for --trust)\n", prefix, prefix)
			return nil
		},
	}
	c.Flags().StringVarP(&prefix, "output", "o", "", "path prefix of the key files")
	c.Flags().BoolVar(&force, "force", false, "overwrite existing key files")
	return c
}

func writeKeyFile(path string, b []byte, mode os.FileMode, flags int) error {
	f, err := os.OpenFile(path, flags, mode)
	if errors.Is(err, fs.ErrExist) {
		return usage("%s exists; use --force to overwrite it", path)
	}
	if err != nil {
		return usage("writing key: %w", err)
	}
	if err := f.Chmod(mode); err != nil { // umask and existing files
		f.Close()
		return fmt.Errorf("writing key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("writing key: %w", err)
	}
	return f.Close()
}
