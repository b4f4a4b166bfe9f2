package network

import "github.com/privlink/privlink/internal/arm"

func registerNetworkInterfaces(p *arm.Platform) error { return nil }
