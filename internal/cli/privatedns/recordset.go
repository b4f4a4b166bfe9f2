package privatedns

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// recordSetColumns orders the rows recordSetRows builds (az's
// transform_privatedns_record_set_table_output).
const recordSetColumns = "[].{Name:Name, ResourceGroup:ResourceGroup, Ttl:Ttl, Type:Type, AutoRegistered:AutoRegistered, Metadata:Metadata}"

const tableUnavailable = "Table output unavailable. Use the --query option to specify an appropriate query. Use --debug for more info."

// Writable attributes of the RecordSet model.
var (
	recordSetTop   = []string{"etag"}
	recordSetProps = append([]string{"metadata", "ttl"}, recordProps...)
)

// field is one attribute of a record model built from the command line,
// in the model's attribute order: its Python name, its wire name and its
// value (string, int64 or []string, as az 2.45 holds it).
type field struct {
	py, wire string
	val      any
}

// recordType describes one "record-set <type>" group.
type recordType struct {
	name   string // az's type token and URL segment: "a"
	label  string // "A"
	prop   string // record set property: "aRecords"
	single bool   // one record (CNAME, SOA) instead of a list
	an     bool   // "an A record" / "a PTR record"
	// args are the record's arguments for add-record / remove-record.
	args func() []*core.Arg
	// fields reads the record from the arguments.
	fields func(c *core.Context) ([]field, error)
	// example is the record part of the add/remove examples.
	example string
}

func (rt recordType) a() string {
	if rt.an {
		return "an"
	}
	return "a"
}

func strArg(dest, long, short, help string) *core.Arg {
	return &core.Arg{Dest: dest, Options: []string{long, short}, Required: true, Help: help}
}

func strField(c *core.Context, py, wire, dest string) field {
	return field{py: py, wire: wire, val: c.String(dest)}
}

// recordTypes are az 2.45's record set groups, in command-table order.
var recordTypes = []recordType{
	{name: "a", label: "A", prop: "aRecords", an: true, example: "-a MyIpv4Address",
		args: func() []*core.Arg {
			return []*core.Arg{strArg("ipv4_address", "--ipv4-address", "-a", "IPV4 address in string notation.")}
		},
		fields: func(c *core.Context) ([]field, error) {
			return []field{strField(c, "ipv4_address", "ipv4Address", "ipv4_address")}, nil
		}},
	{name: "aaaa", label: "AAAA", prop: "aaaaRecords", an: true, example: "-a MyIpv6Address",
		args: func() []*core.Arg {
			return []*core.Arg{strArg("ipv6_address", "--ipv6-address", "-a", "IPV6 address in string notation.")}
		},
		fields: func(c *core.Context) ([]field, error) {
			return []field{strField(c, "ipv6_address", "ipv6Address", "ipv6_address")}, nil
		}},
	{name: "cname", label: "CNAME", prop: "cnameRecord", single: true, example: "-c www.contoso.com",
		args: func() []*core.Arg { return []*core.Arg{strArg("cname", "--cname", "-c", "Canonical name.")} },
		fields: func(c *core.Context) ([]field, error) {
			return []field{strField(c, "cname", "cname", "cname")}, nil
		}},
	{name: "mx", label: "MX", prop: "mxRecords", an: true, example: "-e mail.mysite.com -p 10",
		args: func() []*core.Arg {
			return []*core.Arg{
				strArg("exchange", "--exchange", "-e", "Exchange metric."),
				strArg("preference", "--preference", "-p", "Preference metric."),
			}
		},
		fields: func(c *core.Context) ([]field, error) {
			// az: MxRecord(preference=int(preference), exchange=exchange)
			pref, err := pyInt(c.String("preference"))
			if err != nil {
				return nil, err
			}
			return []field{{py: "preference", wire: "preference", val: pref}, strField(c, "exchange", "exchange", "exchange")}, nil
		}},
	{name: "ptr", label: "PTR", prop: "ptrRecords", example: "-d another.site.com",
		args: func() []*core.Arg {
			return []*core.Arg{strArg("dname", "--ptrdname", "-d", "PTR target domain name.")}
		},
		fields: func(c *core.Context) ([]field, error) {
			return []field{strField(c, "ptrdname", "ptrdname", "dname")}, nil
		}},
	{name: "soa", label: "SOA", prop: "soaRecord", single: true, an: true},
	{name: "srv", label: "SRV", prop: "srvRecords", an: true, example: "-t webserver.mysite.com -r 8081 -p 10 -w 10",
		args: func() []*core.Arg {
			return []*core.Arg{
				strArg("priority", "--priority", "-p", "Priority metric."),
				strArg("weight", "--weight", "-w", "Weight metric."),
				strArg("port", "--port", "-r", "Service port."),
				strArg("target", "--target", "-t", "Target domain name."),
			}
		},
		fields: func(c *core.Context) ([]field, error) {
			// az 2.45 keeps priority, weight and port as the strings given
			// (the SDK turns them into integers when it serializes).
			return []field{
				strField(c, "priority", "priority", "priority"),
				strField(c, "weight", "weight", "weight"),
				strField(c, "port", "port", "port"),
				strField(c, "target", "target", "target"),
			}, nil
		}},
	{name: "txt", label: "TXT", prop: "txtRecords", example: "-v Owner=WebTeam",
		args: func() []*core.Arg {
			return []*core.Arg{{Dest: "value", Options: []string{"--value", "-v"}, Kind: core.List, Required: true,
				Help: "Space-separated list of text values which will be concatenated together."}}
		},
		fields: func(c *core.Context) ([]field, error) {
			return []field{{py: "value", wire: "value", val: c.List("value")}}, nil
		}},
}

// pyInt is Python's int() of a command-line string.
func pyInt(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(s), "_", ""), 10, 64)
	if err != nil || strings.HasPrefix(strings.TrimSpace(s), "_") || strings.HasSuffix(strings.TrimSpace(s), "_") {
		return 0, core.Errorf("invalid literal for int() with base 10: %s", pyRepr(s))
	}
	return n, nil
}

// wireRecord is the record as the SDK serializes it (SRV fields and MX
// preference as integers; TXT values joined and cut into 255-character
// strings, as add_privatedns_txt_record does).
func wireRecord(rt recordType, fields []field) (map[string]any, error) {
	rec := map[string]any{}
	for _, f := range fields {
		switch v := f.val.(type) {
		case string:
			if rt.name == "srv" && f.wire != "target" {
				n, err := pyInt(v)
				if err != nil {
					return nil, err
				}
				rec[f.wire] = n
				continue
			}
			rec[f.wire] = v
		case int64:
			rec[f.wire] = v
		case []string:
			rec[f.wire] = splitTXT(strings.Join(v, ""))
		}
	}
	return rec, nil
}

// splitTXT cuts a text into strings of at most 255 characters.
func splitTXT(s string) []any {
	r := []rune(s)
	out := []any{}
	for len(r) > 255 {
		out = append(out, string(r[:255]))
		r = r[255:]
	}
	return append(out, string(r))
}

func recordSetGroup() *core.Group {
	return &core.Group{
		Name:  "network private-dns record-set",
		Short: "Manage Private DNS records and record sets.",
		Commands: []*core.Command{{
			Name: "list", Short: "List all record sets within a Private DNS zone.",
			Args: []*core.Arg{core.ResourceGroupArg(true), zoneNameArg("--zone-name", "-z")},
			Examples: []core.Example{{
				Summary: `List all "@" record sets within this zone.`,
				Command: `az network private-dns record-set list -g MyResourceGroup -z www.mysite.com --query "[?name=='@']"`,
			}},
			TableQuery: recordSetColumns,
			Run:        func(c *core.Context) (any, error) { return listRecordSets(c, "ALL") },
		}},
	}
}

func recordSetArgs(nameOptions []string, nameHelp string) []*core.Arg {
	return []*core.Arg{
		core.ResourceGroupArg(true), zoneNameArg("--zone-name", "-z"),
		{Dest: "relative_record_set_name", Options: nameOptions, Required: true, Help: nameHelp},
	}
}

func recordTypeGroups() []*core.Group {
	var gs []*core.Group
	for _, rt := range recordTypes {
		if rt.name == "soa" {
			gs = append(gs, soaGroup(rt))
			continue
		}
		gs = append(gs, typeGroup(rt))
	}
	return gs
}

func ex(summary, cmd string) []core.Example { return []core.Example{{Summary: summary, Command: cmd}} }

func typeGroup(rt recordType) *core.Group {
	base := "az network private-dns record-set " + rt.name + " "
	named := func() []*core.Arg { return recordSetArgs([]string{"--name", "-n"}, recordNameHelp) }
	set := "set and all associated records"
	if rt.single {
		set = "set and its associated record"
	}
	cmds := []*core.Command{
		{
			Name: "show", Short: fmt.Sprintf("Get the details of %s %s record set.", rt.a(), rt.label), Show: true,
			Args:     named(),
			Examples: ex(fmt.Sprintf("Get the details of %s %s record set.", rt.a(), rt.label), base+"show -g MyResourceGroup -n MyRecordSet -z www.mysite.com"),
			Run:      func(c *core.Context) (any, error) { return showRecordSet(c, rt) },
		},
		{
			Name: "delete", Short: fmt.Sprintf("Delete %s %s record %s.", rt.a(), rt.label, set),
			Confirm: "Are you sure you want to perform this operation?",
			Args: append(named(), ifMatchArg("The etag of the record set. Omit this value to always delete the current record set. "+
				"Specify the last-seen etag value to prevent accidentally deleting any concurrent changes.")),
			Examples: ex(fmt.Sprintf("Delete %s %s record %s.", rt.a(), rt.label, set), base+"delete -g MyResourceGroup -z www.mysite.com -n MyRecordSet"),
			Run: func(c *core.Context) (any, error) {
				p, err := child(c, rt.name, c.String("relative_record_set_name"))
				if err != nil {
					return nil, err
				}
				_, err = send(c, http.MethodDelete, p, nil, conditional(c), false)
				return nil, err
			},
		},
		{
			Name: "list", Short: listShort(rt),
			Args:       []*core.Arg{core.ResourceGroupArg(true), zoneNameArg("--zone-name", "-z")},
			TableQuery: recordSetColumns,
			Examples:   ex(listShort(rt), base+"list -g MyResourceGroup -z www.mysite.com"),
			Run:        func(c *core.Context) (any, error) { return listRecordSets(c, rt.name) },
		},
		{
			Name: "create", Short: fmt.Sprintf("Create an empty %s record set.", rt.label),
			Args: append(named(),
				&core.Arg{Dest: "ttl", Options: []string{"--ttl"}, Kind: core.Int, Default: "3600", Help: "Record set TTL (time-to-live)"},
				&core.Arg{Dest: "metadata", Options: []string{"--metadata"}, Kind: core.OptionalList, Help: metadataHelp}),
			Examples: ex(fmt.Sprintf("Create an empty %s record set.", rt.label), base+"create -g MyResourceGroup -z www.mysite.com -n MyRecordSet"),
			Run:      func(c *core.Context) (any, error) { return createRecordSet(c, rt) },
		},
		{
			Name: "update", Short: fmt.Sprintf("Update %s %s record set.", rt.a(), rt.label),
			Args: append(append(named(),
				&core.Arg{Dest: "metadata", Options: []string{"--metadata"}, Kind: core.OptionalList, Help: metadataHelp},
				ifMatchArg("The etag of the record set. Omit this value to always overwrite the current record set. "+
					"Specify the last-seen etag value to prevent accidentally overwriting concurrent changes.")),
				core.UpdateArgs()...),
			Examples: ex(fmt.Sprintf("Update %s %s record set.", rt.a(), rt.label), base+"update -g MyResourceGroup -z www.mysite.com -n MyRecordSet --metadata owner=WebTeam"),
			Run:      func(c *core.Context) (any, error) { return updateRecordSet(c, rt) },
		},
	}
	addName, addShort := "add-record", fmt.Sprintf("Add %s %s record.", rt.a(), rt.label)
	removeShort := fmt.Sprintf("Remove %s %s record from its record set.", rt.a(), rt.label)
	if rt.single {
		addName, addShort = "set-record", "Set the value of a CNAME record."
	}
	if rt.name == "aaaa" {
		removeShort = "Remove AAAA record from its record set."
	}
	cmds = append(cmds,
		&core.Command{
			Name: addName, Short: addShort,
			Args: append(recordSetArgs([]string{"--record-set-name", "-n"},
				"The name of the record set relative to the zone. Creates a new record set if one does not exist."), rt.args()...),
			Examples: ex(addShort, base+addName+" -g MyResourceGroup -z www.mysite.com -n MyRecordSet "+rt.example),
			Run:      func(c *core.Context) (any, error) { return addRecord(c, rt) },
		},
		&core.Command{
			Name: "remove-record", Short: removeShort,
			Long: "By default, if the last record in a set is removed, the record set is deleted.\nTo retain the empty record set, include --keep-empty-record-set.",
			Args: append(append(recordSetArgs([]string{"--record-set-name", "-n"}, "The name of the record set relative to the zone."), rt.args()...),
				&core.Arg{Dest: "keep_empty_record_set", Options: []string{"--keep-empty-record-set"}, Kind: core.Flag,
					Help: "Keep the empty record set if the last record is removed."}),
			Examples: ex(removeShort, base+"remove-record -g MyResourceGroup -z www.mysite.com -n MyRecordSet "+rt.example),
			Run:      func(c *core.Context) (any, error) { return removeRecord(c, rt) },
		})
	return &core.Group{
		Name:     "network private-dns record-set " + rt.name,
		Short:    fmt.Sprintf("Manage Private DNS %s records.", rt.label),
		Commands: cmds,
	}
}

func listShort(rt recordType) string {
	if rt.single {
		return fmt.Sprintf("List the %s record set in a zone.", rt.label)
	}
	return fmt.Sprintf("List all %s record sets in a zone.", rt.label)
}

// soaFields are soa update's arguments: dest, options, wire name, integer.
var soaFields = []struct {
	dest, long, short, wire, help string
	integer                       bool
}{
	{"host", "--host", "-t", "host", "Host name.", false},
	{"email", "--email", "-e", "email", "Email address.", false},
	{"serial_number", "--serial-number", "-s", "serialNumber", "Serial number.", true},
	{"refresh_time", "--refresh-time", "-f", "refreshTime", "Refresh value (seconds).", true},
	{"retry_time", "--retry-time", "-r", "retryTime", "Retry time (seconds).", true},
	{"expire_time", "--expire-time", "-x", "expireTime", "Expire time (seconds).", true},
	{"minimum_ttl", "--minimum-ttl", "-m", "minimumTtl", "Minimum TTL (time-to-live, seconds).", true},
}

func soaGroup(rt recordType) *core.Group {
	zoneArgs := func() []*core.Arg { return []*core.Arg{core.ResourceGroupArg(true), zoneNameArg("--zone-name", "-z")} }
	update := zoneArgs()
	for _, f := range soaFields {
		update = append(update, &core.Arg{Dest: f.dest, Options: []string{f.long, f.short}, Help: f.help})
	}
	return &core.Group{
		Name:  "network private-dns record-set soa",
		Short: "Manage Private DNS SOA record.",
		Commands: []*core.Command{
			{
				Name: "show", Short: "Get the details of an SOA record.", Show: true, Args: zoneArgs(),
				Examples: ex("Get the details of an SOA record.", "az network private-dns record-set soa show -g MyResourceGroup -z www.mysite.com"),
				Run: func(c *core.Context) (any, error) {
					c.Set("relative_record_set_name", "@")
					return showRecordSet(c, rt)
				},
			},
			{
				Name: "update", Short: "Update properties of an SOA record.", Args: update,
				Examples: ex("Update properties of an SOA record.", "az network private-dns record-set soa update -g MyResourceGroup -z www.mysite.com -e myhostmaster.mysite.com"),
				Run:      func(c *core.Context) (any, error) { return updateSOA(c, rt) },
			},
		},
	}
}

// stripEmptyRecords is az's transform_privatedns_record_set_output on one
// record set: record properties that are null or empty lists go.
func stripEmptyRecords(v any) any {
	m := asObject(v)
	for _, p := range recordProps {
		switch x := m[p].(type) {
		case nil:
			delete(m, p)
		case []any:
			if len(x) == 0 {
				delete(m, p)
			}
		}
	}
	return v
}

func recordSetPath(c *core.Context, rt recordType) (string, error) {
	return child(c, rt.name, c.String("relative_record_set_name"))
}

func getRecordSet(c *core.Context, path string) (map[string]any, error) {
	obj, err := getObject(c, path)
	if err != nil {
		return nil, err
	}
	RecordSetShape.Apply(obj)
	return obj, nil
}

func showRecordSet(c *core.Context, rt recordType) (any, error) {
	p, err := recordSetPath(c, rt)
	if err != nil {
		return nil, err
	}
	obj, err := getRecordSet(c, p)
	if err != nil {
		return nil, err
	}
	if tableOutput(c) {
		// az's table transformer iterates the object's keys and fails.
		return nil, core.Errorf(tableUnavailable)
	}
	return stripEmptyRecords(obj), nil
}

func listRecordSets(c *core.Context, segment string) (any, error) {
	p, err := child(c, segment)
	if err != nil {
		return nil, err
	}
	items, err := list(c, p, nil)
	if err != nil {
		return nil, err
	}
	RecordSetShape.Apply(items)
	if tableOutput(c) {
		return recordSetRows(items), nil
	}
	return items, nil
}

// recordSetRows builds az's record set table rows (ordered by
// recordSetColumns).
func recordSetRows(items []any) []any {
	rows := make([]any, 0, len(items))
	for _, it := range items {
		m := asObject(it)
		if m == nil {
			continue
		}
		row := map[string]any{
			"Name": m["name"], "Ttl": m["ttl"], "AutoRegistered": m["isAutoRegistered"], "Metadata": " ",
		}
		if id, _ := m["id"].(string); id != "" {
			if parts := strings.Split(id, "/"); len(parts) > 8 && strings.EqualFold(parts[3], "resourcegroups") {
				row["ResourceGroup"] = parts[4]
			}
		}
		if t, _ := m["type"].(string); t != "" {
			row["Type"] = t[strings.LastIndex(t, "/")+1:]
		}
		if md := asObject(m["metadata"]); len(md) > 0 {
			keys := make([]string, 0, len(md))
			for k := range md {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			pairs := make([]string, len(keys))
			for i, k := range keys {
				pairs[i] = fmt.Sprintf(`%s="%s"`, k, pyStr(md[k]))
			}
			row["Metadata"] = strings.Join(pairs, " ")
		}
		rows = append(rows, row)
	}
	return rows
}

func createRecordSet(c *core.Context, rt recordType) (any, error) {
	p, err := recordSetPath(c, rt)
	if err != nil {
		return nil, err
	}
	props := map[string]any{"ttl": c.Int("ttl")}
	if md := c.Tags("metadata"); md != nil {
		props["metadata"] = md
	}
	res, err := send(c, http.MethodPut, p, map[string]any{"properties": props}, ifNoneMatch(), false)
	if err != nil {
		return nil, err
	}
	return stripEmptyRecords(RecordSetShape.Apply(res)), nil
}

// updateRecordSet: getter get, custom update_privatedns_record_set
// (--metadata), setter update (PATCH, --if-match).
func updateRecordSet(c *core.Context, rt recordType) (any, error) {
	p, err := recordSetPath(c, rt)
	if err != nil {
		return nil, err
	}
	return genericUpdate(c, func() (map[string]any, error) { return getRecordSet(c, p) },
		func(view map[string]any) error {
			if md := c.Tags("metadata"); md != nil {
				view["metadata"] = md
			}
			return nil
		}, nil,
		func(view map[string]any) (any, error) {
			res, err := send(c, http.MethodPatch, p, serialize(view, recordSetTop, recordSetProps), conditional(c), false)
			if err != nil {
				return nil, err
			}
			return stripEmptyRecords(RecordSetShape.Apply(res)), nil
		})
}

// saveRecord is az's _privatedns_add_save_record: read the record set (a
// new one with TTL 3600 if the service answers with any error), add the
// record (or set it, for single-record types) and PUT the whole set.
func saveRecord(c *core.Context, rt recordType, name string, record map[string]any) (any, error) {
	p, err := child(c, rt.name, name)
	if err != nil {
		return nil, err
	}
	view, err := getRecordSet(c, p)
	if err != nil {
		var ae *arm.Error
		if !errors.As(err, &ae) {
			return nil, err
		}
		view = map[string]any{"ttl": 3600}
	}
	if rt.single {
		view[rt.prop] = record
	} else {
		recs, _ := view[rt.prop].([]any)
		view[rt.prop] = append(recs, record)
	}
	res, err := send(c, http.MethodPut, p, serialize(view, recordSetTop, recordSetProps), nil, false)
	if err != nil {
		return nil, err
	}
	return stripEmptyRecords(RecordSetShape.Apply(res)), nil
}

func addRecord(c *core.Context, rt recordType) (any, error) {
	fields, err := rt.fields(c)
	if err != nil {
		return nil, err
	}
	rec, err := wireRecord(rt, fields)
	if err != nil {
		return nil, err
	}
	return saveRecord(c, rt, c.String("relative_record_set_name"), rec)
}

// removeRecord is az's _privatedns_remove_record.
func removeRecord(c *core.Context, rt recordType) (any, error) {
	name := c.String("relative_record_set_name")
	fields, err := rt.fields(c)
	if err != nil {
		return nil, err
	}
	p, err := child(c, rt.name, name)
	if err != nil {
		return nil, err
	}
	view, err := getRecordSet(c, p)
	if err != nil {
		return nil, err
	}
	remaining := 0
	if rt.single {
		view[rt.prop] = nil
	} else {
		recs, _ := view[rt.prop].([]any)
		keep := []any{}
		for _, r := range recs {
			if !matchesFilter(asObject(r), fields) {
				keep = append(keep, r)
			}
		}
		if len(keep) == len(recs) {
			return nil, core.Errorf("Record %s not found.", modelRepr(fields))
		}
		view[rt.prop] = keep
		remaining = len(keep)
	}
	if remaining == 0 && !c.Bool("keep_empty_record_set") {
		c.Infof("Removing empty %s record set: %s", rt.name, name)
		_, err := send(c, http.MethodDelete, p, nil, nil, false)
		return nil, err
	}
	res, err := send(c, http.MethodPut, p, serialize(view, recordSetTop, recordSetProps), nil, false)
	if err != nil {
		return nil, err
	}
	return stripEmptyRecords(RecordSetShape.Apply(res)), nil
}

// updateSOA is az's update_privatedns_soa_record: read the SOA record,
// replace the fields given (non-empty), then save it like add-record.
func updateSOA(c *core.Context, rt recordType) (any, error) {
	p, err := child(c, rt.name, "@")
	if err != nil {
		return nil, err
	}
	view, err := getRecordSet(c, p)
	if err != nil {
		return nil, err
	}
	soa := asObject(view[rt.prop])
	if soa == nil {
		soa = map[string]any{}
	}
	for _, f := range soaFields {
		v := c.String(f.dest)
		if v == "" {
			continue
		}
		if !f.integer {
			soa[f.wire] = v
			continue
		}
		n, err := pyInt(v)
		if err != nil {
			return nil, err
		}
		soa[f.wire] = n
	}
	return saveRecord(c, rt, "@", soa)
}

// matchesFilter is az's dict_matches_filter: every field of the filter
// record that is set (truthy in Python) must equal the record's as a
// string, or hold the same items (collections.Counter equality, which on
// two strings compares their characters).
func matchesFilter(rec map[string]any, filter []field) bool {
	for _, f := range filter {
		if !pyTruthy(f.val) {
			continue
		}
		ev, has := rec[f.wire]
		if has && pyStr(f.val) == pyStr(ev) {
			continue
		}
		if !has {
			ev = []any{}
		}
		fc, ok1 := counter(f.val)
		rc, ok2 := counter(ev)
		if ok1 && ok2 && equalCounts(fc, rc) {
			continue
		}
		return false
	}
	return true
}

func pyTruthy(v any) bool {
	switch t := v.(type) {
	case string:
		return t != ""
	case int64:
		return t != 0
	case []string:
		return len(t) > 0
	}
	return v != nil
}

// counter is collections.Counter of a value: characters of a string,
// items of a list; numbers are not iterable.
func counter(v any) (map[string]int, bool) {
	m := map[string]int{}
	switch t := v.(type) {
	case nil:
		return m, true
	case string:
		for _, r := range t {
			m[string(r)]++
		}
	case []string:
		for _, s := range t {
			m["s:"+s]++
		}
	case []any:
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			m["s:"+s]++
		}
	default:
		return nil, false
	}
	return m, true
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}

// pyStr is Python's str() of a decoded JSON value or a field value.
func pyStr(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case string:
		return t
	case bool:
		if t {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		if t == float64(int64(t)) {
			return strconv.FormatInt(int64(t), 10)
		}
		return strconv.FormatFloat(t, 'g', -1, 64)
	case []string:
		parts := make([]string, len(t))
		for i, s := range t {
			parts[i] = pyRepr(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			if s, ok := e.(string); ok {
				parts[i] = pyRepr(s)
			} else {
				parts[i] = pyStr(e)
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// modelRepr is str() of an SDK record model: its __dict__.
func modelRepr(fields []field) string {
	parts := []string{"'additional_properties': {}"}
	for _, f := range fields {
		v := pyStr(f.val)
		if s, ok := f.val.(string); ok {
			v = pyRepr(s)
		}
		parts = append(parts, pyRepr(f.py)+": "+v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// pyRepr is Python's repr() of a string.
func pyRepr(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}
