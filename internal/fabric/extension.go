package fabric

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/privlink/privlink/internal/arm"
)

// Extensions.
//
// Parts of the model that came after the core (hybrid networking: on-
// premises sites and gateways, DNS Private Resolver, Bastion...) decode
// their own record types and link them into the snapshot from their own
// files, through an extension registered in an init function, instead of
// growing the switch in decodeRecord and the passes of buildNodes.
//
// An extension's Decode runs once per record (the Watcher keeps decoded
// nodes between snapshots, so the value it returns must be immutable);
// Link runs on every snapshot build, once per phase, with every node the
// extension decoded, sorted by ID.

// Phase is the point of buildNodes at which an extension links.
type Phase int

// Phases.
const (
	// PhaseHosts runs after VNets, subnets, peerings, NICs, NSGs, route
	// tables, public IPs, private DNS and VM hosts are linked, and before
	// the Privlink.Fabric listeners are attached to hosts: extensions
	// that add hosts (and the NICs in s.NICs that hold their addresses)
	// do it here.
	PhaseHosts Phase = iota
	// PhaseLink runs after load balancers, private link services and
	// private endpoints are linked, just before Reindex.
	PhaseLink
)

// ExtNode is one record an extension decoded.
type ExtNode struct {
	// ID is the lower-case resource ID (the key convention of the model),
	// Display the ID as created, Name the resource name.
	ID, Display, Name string
	// Value is what the extension's Decode returned.
	Value any
}

// extension decodes some record types and links them into snapshots.
type extension struct {
	// Name identifies the extension (messages; ties in Order).
	Name string
	// Order sorts extensions within a phase (lower first).
	Order int
	// Types are the full resource types it decodes (any case).
	Types []string
	// Decode turns one record into an immutable value.
	Decode func(r *arm.Record, id string) (any, error)
	// Link adds the decoded values to the snapshot for one phase.
	Link func(s *Snapshot, phase Phase, nodes []ExtNode)
}

var (
	extMu     sync.RWMutex
	extByType = map[string]*extension{}
	extAll    []*extension
)

// registerExtension registers x for its types. It panics on a type that
// another extension (or the core) already decodes: call it from init.
func registerExtension(x *extension) {
	extMu.Lock()
	defer extMu.Unlock()
	for _, t := range x.Types {
		k := strings.ToLower(t)
		if _, dup := extByType[k]; dup {
			panic("fabric: two extensions decode " + t)
		}
		extByType[k] = x
	}
	extAll = append(extAll, x)
	slices.SortFunc(extAll, func(a, b *extension) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), strings.Compare(a.Name, b.Name))
	})
}

// extensionFor returns the extension decoding typ, or nil.
func extensionFor(typ string) *extension {
	extMu.RLock()
	defer extMu.RUnlock()
	return extByType[strings.ToLower(typ)]
}

// linkExtensions runs every extension's Link for one phase, in order,
// with its nodes sorted by ID (extensions without nodes run too: they may
// add fixed objects).
func linkExtensions(s *Snapshot, byExt map[*extension][]*node, phase Phase) {
	extMu.RLock()
	all := slices.Clone(extAll)
	extMu.RUnlock()
	for _, x := range all {
		if x.Link == nil {
			continue
		}
		ns := byExt[x]
		slices.SortFunc(ns, byID)
		out := make([]ExtNode, len(ns))
		for i, n := range ns {
			out[i] = ExtNode{ID: n.id, Display: n.display, Name: n.name, Value: n.extValue}
		}
		x.Link(s, phase, out)
	}
}
