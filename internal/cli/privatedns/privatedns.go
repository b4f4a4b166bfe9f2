package privatedns

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// APIVersion is what az 2.45 sends for Microsoft.Network/privateDnsZones
// and its children (azure-mgmt-privatedns' default).
const APIVersion = "2020-06-01"

const namespace = "Microsoft.Network"

// ZoneShape is az's PrivateZone model (properties flattened).
var ZoneShape = &arm.Shape{Flatten: true, Strict: true, Fields: []string{
	"etag", "id", "internalId", "location", "maxNumberOfRecordSets", "maxNumberOfVirtualNetworkLinks",
	"maxNumberOfVirtualNetworkLinksWithRegistration", "name", "numberOfRecordSets", "numberOfVirtualNetworkLinks",
	"numberOfVirtualNetworkLinksWithRegistration", "provisioningState", "tags", "type",
}}

// LinkShape is az's VirtualNetworkLink model (properties flattened).
var LinkShape = &arm.Shape{Flatten: true, Strict: true, Fields: []string{
	"etag", "id", "location", "name", "provisioningState", "registrationEnabled", "tags", "type",
	"virtualNetwork", "virtualNetworkLinkState",
}, Nested: map[string]*arm.Shape{"virtualNetwork": subResourceShape}}

var subResourceShape = &arm.Shape{Strict: true, Fields: []string{"id"}}

// recordShapes are az's record models, keyed by the record set property.
var recordShapes = map[string]*arm.Shape{
	"aRecords":    {Strict: true, Fields: []string{"ipv4Address"}},
	"aaaaRecords": {Strict: true, Fields: []string{"ipv6Address"}},
	"cnameRecord": {Strict: true, Fields: []string{"cname"}},
	"mxRecords":   {Strict: true, Fields: []string{"exchange", "preference"}},
	"ptrRecords":  {Strict: true, Fields: []string{"ptrdname"}},
	"soaRecord": {Strict: true, Fields: []string{
		"email", "expireTime", "host", "minimumTtl", "refreshTime", "retryTime", "serialNumber"}},
	"srvRecords": {Strict: true, Fields: []string{"port", "priority", "target", "weight"}},
	"txtRecords": {Strict: true, Fields: []string{"value"}},
}

// recordProps are the record set properties holding records, in the
// model's order.
var recordProps = []string{
	"aRecords", "aaaaRecords", "cnameRecord", "mxRecords", "ptrRecords", "soaRecord", "srvRecords", "txtRecords",
}

// RecordSetShape is az's RecordSet model (properties flattened).
var RecordSetShape = &arm.Shape{Flatten: true, Strict: true, Fields: append([]string{
	"etag", "fqdn", "id", "isAutoRegistered", "metadata", "name", "ttl", "type",
}, recordProps...), Nested: recordShapes}

// Help texts shared by several commands.
const (
	zoneNameHelp   = "The name of the Private DNS zone."
	recordNameHelp = "The name of the record set, relative to the name of the Private DNS zone."
	metadataHelp   = "Metadata in space-separated key=value pairs. This overwrites any existing metadata."
)

// Groups returns the "network private-dns" command groups.
func Groups() []*core.Group {
	gs := []*core.Group{
		{Name: "network private-dns", Short: "Manage Private DNS domains in Azure."},
		zoneGroup(),
		{Name: "network private-dns link", Short: "Manage Private DNS links."},
		linkGroup(),
		recordSetGroup(),
	}
	return append(gs, recordTypeGroups()...)
}

// zoneNameArg is the zone argument: --name/-n in "zone" commands,
// --zone-name/-z elsewhere.
func zoneNameArg(options ...string) *core.Arg {
	return &core.Arg{Dest: "private_zone_name", Options: options, Required: true, Help: zoneNameHelp}
}

func ifMatchArg(help string) *core.Arg {
	return &core.Arg{Dest: "if_match", Options: []string{"--if-match"}, Help: help}
}

func tagsArg(help string) *core.Arg {
	a := core.TagsArg()
	a.Help = help
	return a
}

// zoneName is az's privatedns_zone_name_type: one trailing dot is dropped.
func zoneName(c *core.Context) string {
	return strings.TrimSuffix(c.String("private_zone_name"), ".")
}

// zonePath is the zone's ARM path.
func zonePath(c *core.Context) (string, error) {
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return arm.ResourcePath(sub, c.String("resource_group"), namespace, "privateDnsZones", zoneName(c)), nil
}

// child is a path below the zone: zonePath/seg1/seg2...
func child(c *core.Context, segs ...string) (string, error) {
	p, err := zonePath(c)
	if err != nil {
		return "", err
	}
	return p + "/" + strings.Join(segs, "/"), nil
}

// send performs one ARM call with the package's api-version (waiting for a
// long-running operation unless noWait).
func send(c *core.Context, method, path string, body any, header http.Header, noWait bool) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	return client.Send(c.Context(), arm.Request{
		Method: method, Path: path, APIVersion: APIVersion, Body: body, Header: header, NoWait: noWait,
	})
}

// getObject reads a resource.
func getObject(c *core.Context, path string) (map[string]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	return client.GetObject(c.Context(), path, APIVersion, nil)
}

// list reads a collection, following nextLink.
func list(c *core.Context, path string, query url.Values) ([]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	return client.List(c.Context(), path, APIVersion, query)
}

// conditional returns the If-Match header for --if-match (nil when absent).
func conditional(c *core.Context) http.Header {
	if v := c.String("if_match"); v != "" {
		return http.Header{"If-Match": {v}}
	}
	return nil
}

// ifNoneMatch is what az's create commands send.
func ifNoneMatch() http.Header { return http.Header{"If-None-Match": {"*"}} }

// tableOutput reports whether the result will be printed by az's table
// transformer: -o table (or AZURE_CORE_OUTPUT=table) without --query.
func tableOutput(c *core.Context) bool {
	if c.String(core.DestQuery) != "" {
		return false
	}
	f := c.String(core.DestOutput)
	if !c.Has(core.DestOutput) {
		f = strings.TrimSpace(c.Getenv(core.EnvOutput))
	}
	return strings.EqualFold(f, "table")
}

// asObject returns v as an object, or nil.
func asObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// serialize builds a request body from a flattened view the way the SDK
// serializes a model: only the model's writable attributes, top-level ones
// as they are and the others under "properties"; nulls are left out, and
// nested records keep only their model's fields.
func serialize(view map[string]any, top, props []string) map[string]any {
	body := map[string]any{}
	for _, k := range top {
		if v, ok := view[k]; ok && v != nil {
			body[k] = v
		}
	}
	p := map[string]any{}
	for _, k := range props {
		v, ok := view[k]
		if !ok || v == nil {
			continue
		}
		switch k {
		case "virtualNetwork":
			v = pick(v, subResourceShape.Fields)
		default:
			if s, ok := recordShapes[k]; ok {
				v = pick(v, s.Fields)
			}
		}
		p[k] = v
	}
	if len(p) > 0 {
		body["properties"] = p
	}
	return body
}

// pick keeps the given keys (non-null) of an object, or of each object of
// a list.
func pick(v any, fields []string) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for _, f := range fields {
			if x, ok := t[f]; ok && x != nil {
				out[f] = x
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = pick(e, fields)
		}
		return out
	}
	return v
}

// genericUpdate is az's generic update: GET, the command's own flags
// (custom, before --set like a custom_func_name; after, after them like a
// custom setter), --set/--add/--remove, then the setter.
func genericUpdate(c *core.Context, get func() (map[string]any, error),
	custom, after func(view map[string]any) error, set func(view map[string]any) (any, error)) (any, error) {
	view, err := get()
	if err != nil {
		return nil, err
	}
	if custom != nil {
		if err := custom(view); err != nil {
			return nil, err
		}
	}
	if err := core.ApplyGenericUpdate(c, view); err != nil {
		return nil, err
	}
	if after != nil {
		if err := after(view); err != nil {
			return nil, err
		}
	}
	return set(view)
}
