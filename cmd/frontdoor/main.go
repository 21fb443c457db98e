// Command frontdoor compiles a frontdoor configuration repository into a
// signed routing snapshot and a public API catalogue, and runs the gateway.
package main

import "os"

func main() { os.Exit(Main()) }
