package app

import (
	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/authorization"
	"github.com/privlink/privlink/internal/providers/features"
	"github.com/privlink/privlink/internal/providers/managedidentity"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
	"github.com/privlink/privlink/internal/providers/resources"
)

// Providers lists every resource provider privlink serves, in
// registration order.
func Providers() []arm.Provider {
	return []arm.Provider{
		resources.Provider{},
		features.Provider{},
		authorization.Provider{},
		managedidentity.Provider{},
		network.Provider{},
		privatedns.Provider{},
	}
}
