package diagnose

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

// Azure's names for automatically created watchers.
const (
	// AutoResourceGroup is the resource group Azure creates watchers in.
	AutoResourceGroup = "NetworkWatcherRG"
	// AutoNamePrefix + region is the name of an automatic watcher.
	AutoNamePrefix = "NetworkWatcher_"
)

// regionKeyPrefix holds one key per (subscription, region) naming the
// watcher of that region, so the one-per-region rule reads one key.
const regionKeyPrefix = "/diagnose/watcher-region/"

func regionKey(sub, region string) string {
	return regionKeyPrefix + strings.ToLower(sub) + "/" + strings.ToLower(region)
}

// watcherNameRE: 1-80 characters, alphanumerics, underscores, periods and
// hyphens, starting with an alphanumeric and ending with an alphanumeric
// or underscore (Azure's rule for Microsoft.Network names).
var watcherNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$`)

func validateWatcherName(name string) error {
	if !watcherNameRE.MatchString(name) {
		return arm.BadRequest("InvalidResourceName",
			"Resource name %s is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.", name)
	}
	return nil
}

func (p *Provider) watcherSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:              WatcherType,
		APIVersions:       append([]string(nil), network.APIVersions...),
		Location:          arm.LocationRequired,
		ETag:              true,
		ProvisioningState: true,
		AsyncDelete:       true,
		NoSystemData:      true,
		ValidateName:      validateWatcherName,
		Put:               putWatcher,
		Delete:            deleteWatcher,
		Actions:           p.watcherActions(),
	}
}

// putWatcher keeps an empty property bag and enforces one watcher per
// region and subscription.
func putWatcher(ctx context.Context, op *arm.PutOp) error {
	var props map[string]any
	if err := op.Body.DecodeProperties(&props); err != nil {
		return err
	}
	op.Body.Properties = json.RawMessage(`{}`)
	return claimRegion(ctx, op.Tx, op.ID.Subscription, op.Body.Location, op.ID.String())
}

// claimRegion records id as the watcher of region, or fails with Azure's
// NetworkWatcherCountLimitReached when another watcher holds it.
func claimRegion(ctx context.Context, t *arm.Txn, sub, region, id string) error {
	key := regionKey(sub, region)
	kv, ok, err := t.Raw().Get(ctx, key)
	if err != nil {
		return fmt.Errorf("diagnose: read watcher region index: %w", err)
	}
	if ok && !arm.SameID(string(kv.Value), id) {
		other, err := t.Get(ctx, string(kv.Value))
		if err != nil {
			return err
		}
		if other != nil {
			return arm.BadRequest("NetworkWatcherCountLimitReached",
				"Cannot create more than 1 network watchers for this subscription in this region.")
		}
	}
	if !ok || string(kv.Value) != id {
		t.Raw().Put(key, []byte(id))
	}
	return nil
}

// deleteWatcher releases the watcher's region.
func deleteWatcher(ctx context.Context, op *arm.DeleteOp) error {
	key := regionKey(op.ID.Subscription, op.Record.Resource.Location)
	kv, ok, err := op.Tx.Raw().Get(ctx, key)
	if err != nil {
		return fmt.Errorf("diagnose: read watcher region index: %w", err)
	}
	if ok && arm.SameID(string(kv.Value), op.ID.String()) {
		op.Tx.Raw().Delete(key)
	}
	return nil
}

// EnsureWatcher gives region a network watcher in subscription when it has
// none, as Azure does when a virtual network is created there: the
// resource group NetworkWatcherRG (created in region if missing) and
// NetworkWatcher_<region> in it. It does nothing when the region already
// has a watcher, wherever it lives.
func EnsureWatcher(ctx context.Context, eng *arm.Engine, subscription, region string) error {
	region = arm.NormalizeLocation(region)
	if !arm.IsRegion(region) {
		return fmt.Errorf("diagnose: ensure watcher: %q is not an Azure region", region)
	}
	rgID := "/subscriptions/" + subscription + "/resourceGroups/" + AutoResourceGroup
	id := rgID + "/providers/" + WatcherType + "/" + AutoNamePrefix + region
	err := eng.Run(ctx, func(t *arm.Txn) error {
		kv, ok, err := t.Raw().Get(ctx, regionKey(subscription, region))
		if err != nil {
			return err
		}
		if ok {
			cur, err := t.Get(ctx, string(kv.Value))
			if err != nil {
				return err
			}
			if cur != nil {
				return nil
			}
		}
		now := eng.Now().UTC()
		rg, err := t.Get(ctx, rgID)
		if err != nil {
			return err
		}
		switch {
		case rg == nil:
			rg = &arm.Record{Generation: 1, State: arm.StateSucceeded, Created: now,
				Resource: arm.Resource{ID: rgID, Name: AutoResourceGroup, Type: resources.GroupType, Location: region}}
			if err := t.Write(ctx, rg); err != nil {
				return err
			}
		case rg.State == arm.StateDeleting:
			return arm.Conflict("ResourceGroupBeingDeleted",
				"The resource group '%s' is in deprovisioning state and cannot perform this operation.", rg.Resource.Name)
		default:
			rgID = rg.Resource.ID // keep the group's own casing
			id = rgID + "/providers/" + WatcherType + "/" + AutoNamePrefix + region
		}
		if cur, err := t.Get(ctx, id); err != nil || cur != nil {
			return err // a watcher of that name exists (in another region's index): leave it
		}
		rec := &arm.Record{Generation: 1, State: arm.StateSucceeded, Created: now,
			Resource: arm.Resource{ID: id, Name: AutoNamePrefix + region, Type: WatcherType, Location: region,
				Etag: `W/"` + uuid.NewString() + `"`, Properties: json.RawMessage(`{"provisioningState":"Succeeded"}`)}}
		if err := t.Write(ctx, rec); err != nil {
			return err
		}
		t.Raw().Put(regionKey(subscription, region), []byte(id))
		return nil
	})
	if err != nil {
		return fmt.Errorf("diagnose: ensure network watcher for %s: %w", region, err)
	}
	return nil
}
