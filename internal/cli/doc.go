// Package cli is privlink's az-compatible command line: `privlink <group>
// <command>` or the binary invoked as `az`. Scripts written for Azure CLI
// 2.45 run unchanged: same command names, options (long and short),
// defaults, output shapes, messages and exit codes (0 ok, 1 error, 2 usage
// error, 3 a show command got a 404).
//
// The CLI reaches the daemon only through the public ARM REST API, exactly
// as Azure's: same paths, api-versions, bodies and long-running-operation
// headers. Entry point: Run(ctx, args, streams) returns the exit code.
//
// # Connecting to the daemon
//
//   - endpoint: PRIVLINK_ENDPOINT, else the one `privlink serve` recorded in
//     <data dir>/endpoint, else https://127.0.0.1:8443;
//   - trusted CA: PRIVLINK_CA_FILE, else <data dir>/ca.crt, plus SSL_CERT_FILE
//     and REQUESTS_CA_BUNDLE when set; data dir: PRIVLINK_DATA_DIR or ~/.privlink;
//   - token: POST {endpoint}/organizations/oauth2/v2.0/token, client
//     credentials AZURE_CLIENT_ID (privlink-cli) / AZURE_CLIENT_SECRET
//     (privlink), scope {endpoint}/.default;
//   - subscription: --subscription (name or ID), else AZURE_SUBSCRIPTION_ID,
//     else `az account set` (kept in <data dir>/cli.json), else the daemon's
//     isDefault (or first) subscription from GET /subscriptions;
//   - also honoured: AZURE_CORE_OUTPUT, AZURE_CORE_ONLY_SHOW_ERRORS,
//     AZURE_CORE_NO_COLOR, AZURE_DEFAULTS_GROUP, AZURE_DEFAULTS_LOCATION.
//
// # Layout
//
//	internal/cli            Run, the explicit list of command groups (cli.go)
//	internal/cli/core       command framework: Command/Group/Arg, argparse-
//	                        compatible parser, help, Context (args, logging,
//	                        ARM client, subscription, cli.json), error
//	                        printing and exit codes, --ids, generic
//	                        show/list/delete/wait/update commands
//	internal/cli/arm        ARM HTTP client: auth, api-version, paging, LRO,
//	                        ARM errors, resource IDs, Shape (az output models)
//	internal/cli/clitest    fake ARM endpoint (loopback TLS) for tests
//	internal/cli/output     rendering (-o json|jsonc|table|tsv|yaml|none, --query)
//	internal/cli/resource   group, feature, provider
//	internal/cli/account    account, login, logout
//	internal/cli/extension  extension (built in: nothing is installed)
//	internal/cli/identity   identity (user-assigned managed identities)
//	internal/cli/role       role assignment, role definition
//
// # Adding a command group
//
// 1. Create a package under internal/cli (e.g. internal/cli/network) with
// a function returning its groups. Group.Name is the full space-separated
// path; parents ("network") are created automatically, give them a Group of
// their own only to set the help text:
//
//	func Groups() []*core.Group {
//		vnet := core.NewResource(VNetType, core.NameArg("The virtual network (VNet) name."))
//		return []*core.Group{
//			{Name: "network", Short: "Manage Azure Network resources."},
//			{Name: "network vnet", Short: "Manage Azure Virtual Networks.", Commands: []*core.Command{
//				vnetCreate(vnet),
//				vnet.ShowCommand("Get the details of a virtual network."),
//				vnet.ListCommand("List virtual networks."),
//				vnet.DeleteCommand("Delete a virtual network.", true, false),
//				vnet.UpdateCommand("Update a virtual network.", extraArgs, applyFlags),
//				vnet.WaitCommand("Place the CLI in a waiting state until a condition is met."),
//			}},
//		}
//	}
//
// 2. Add `gs = append(gs, network.Groups()...)` to Groups in cli.go.
//
// 3. Describe the resource type once:
//
//	var VNetType = core.ResourceType{
//		Namespace: "Microsoft.Network", Types: []string{"virtualNetworks"},
//		APIVersion: "2022-01-01", // what az 2.45 sends
//		Shape: &arm.Shape{Flatten: true, Fields: []string{...}},
//	}
//
// Child types list the chain: Types: {"virtualNetworks", "subnets"} with
// core.NewResource(SubnetType, vnetNameArg, core.NameArg(...)), parents
// first; NewResource sets IDPart ("name", "child_name_1", ...) so every
// non-create command gets az's --ids for free (multiple IDs run the
// command once each; the results form a list).
//
// arm.Shape reproduces az's output model: Flatten lifts "properties" to the
// top level (most az network output is flattened), Fields lists the model
// attributes that print as null when absent, Nested shapes sub-objects
// (e.g. "subnets" inside a VNet), Rename maps wire names to the model's
// x-ms-client-name (a role definition's properties.type is roleType),
// Strict drops what the model does not know (only with a complete Fields
// list; generic updates still PUT every property), TopLevel names extra
// envelope keys that
// Shape.Unflatten keeps outside "properties" when --set rebuilds a body.
// Run's output pass adds "resourceGroup" to every object whose id is inside
// a resource group, as az does; don't add it yourself.
//
// 4. Write commands. A Command has Name, Short, Args, Examples and
// Run func(*core.Context) (any, error). Return the decoded JSON to print
// (nil prints nothing, as for delete); return errors as they come: an
// *arm.Error prints az's "(Code) Message / Code: / Message:" block and exits
// 1 (3 on a 404 when Command.Show is set); core.Errorf for az's CLIError
// messages (exit 1); core.Usagef for argument errors (exit 2).
//
// Arguments (core.Arg) follow argparse: Kind String (one value), Flag
// (store_true), TriState (az's three-state flag: alone = true, or
// true/false), List (nargs '+'), OptionalList (nargs '*'), Int. Options
// lists every spelling, long first ({"--resource-group", "-g"}); Dest is the
// key handlers read (default: the first long option, "-" -> "_"); Required
// yields az's "the following arguments are required: --name/-n" (exit 2);
// Choices are matched case-insensitively (az's get_enum_type); long options
// may be abbreviated to a unique prefix, as with argparse. Ready-made:
// core.ResourceGroupArg, core.NameArg, core.LocationArg, core.TagsArg,
// core.TagArg, core.UpdateArgs (--set/--add/--remove/--force-string).
// Command flags: NoWait adds --no-wait (read c.NoWait() and pass it to
// the arm client, which then returns right after the first response);
// Confirm adds --yes/-y and az's prompt; TableQuery is az's
// table_transformer as JMESPath; Show makes a 404 exit 3.
//
// In handlers: c.String/Bool/List/Int/Has/Tags read arguments; c.ARM()
// returns the *arm.Client (Get/GetObject/List with nextLink paging,
// Put/Patch/Post/Delete with long-running-operation polling, Exists, Send
// for anything else); c.SubscriptionID() the subscription (from --ids,
// --subscription, env, cli.json or the daemon default);
// c.Location("location", "resource_group") az's location defaulting to the
// resource group's; c.Warnf/Infof/Debugf log like az ("WARNING: ..." on
// stderr, silenced by --only-show-errors); c.Config() is cli.json (keep
// your own top-level key).
//
// 5. Test with internal/cli/clitest: clitest.New(t) starts a fake ARM on
// loopback TLS and points the CLI at it; register answers with f.JSON /
// f.Error / f.Handle, run commands with f.Run(yourpkg.Groups(), "network",
// "vnet", "create", ...), then check res.Code / res.Object(t) and the
// recorded requests (f.Last("PUT").Path, .APIVersion(), .JSON()). Sleeps
// are recorded (f.Sleeps()), not slept, so long-running operations poll
// instantly.
package cli
