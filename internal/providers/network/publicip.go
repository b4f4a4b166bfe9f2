package network

import "github.com/privlink/privlink/internal/arm"

func registerPublicIPAddresses(p *arm.Platform) error { return nil }
