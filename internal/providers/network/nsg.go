package network

import "github.com/privlink/privlink/internal/arm"

func registerSecurityGroups(p *arm.Platform) error { return nil }
