// Command badinit makes a host call during _initialize, which Envoy traps.
package main

import "github.com/kojihq/koji-edge/proxywasm"

func init() { proxywasm.DefineCounter("too_early") }

func main() {}
