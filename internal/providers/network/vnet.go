package network

import "github.com/privlink/privlink/internal/arm"

func registerVirtualNetworks(p *arm.Platform) error { return nil }
