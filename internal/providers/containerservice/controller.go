package containerservice

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/arm"
)

// sync brings one cluster to its desired state. It runs on the provider's
// own workers, never inside the provisioner (it waits for other
// resources' operations, which the provisioner completes).
func (pr *Provider) sync(ctx context.Context, key string) {
	rec, err := pr.engine.GetRecord(ctx, key)
	if err != nil || rec == nil {
		if err != nil && ctx.Err() == nil {
			pr.Log.Error("read managed cluster", "id", key, "err", err)
		}
		return
	}
	var st internalState
	if err := json.Unmarshal(rec.Internal, &st); err != nil {
		pr.Log.Error("decode managed cluster state", "id", key, "err", err)
		return
	}
	e, err := newEnv(ctx, pr, rec, &st)
	if err != nil {
		pr.Log.Error("managed cluster", "id", key, "err", err)
		return
	}
	switch {
	case rec.State == arm.StateDeleting:
		if err := e.teardown(); err != nil {
			if ctx.Err() == nil {
				pr.Log.Error("delete managed cluster", "id", key, "err", err)
				pr.retry(key)
			}
			return
		}
		err := pr.engine.Run(ctx, func(t *arm.Txn) error {
			cur, err := t.Get(ctx, rec.Resource.ID)
			if err != nil || cur == nil {
				return err
			}
			id, _ := arm.ParseID(cur.Resource.ID)
			return pr.engine.DeleteTree(ctx, t, id, cur)
		})
		if err != nil && ctx.Err() == nil {
			pr.Log.Error("delete managed cluster record", "id", key, "err", err)
			pr.retry(key)
		}
	case arm.Terminal(rec.State):
		// A settled cluster (daemon start): bring its API server back.
		if st.Power != "Running" || rec.State != arm.StateSucceeded {
			return
		}
		if err := e.resume(); err != nil && ctx.Err() == nil {
			pr.Log.Error("resume managed cluster", "id", key, "err", err)
			pr.retry(key)
		}
	default:
		var opErr error
		switch st.Op {
		case "stop":
			opErr = e.stop()
		case "start":
			st.Power = "Running"
			opErr = e.realise()
		default:
			opErr = e.realise()
		}
		if ctx.Err() != nil {
			return
		}
		if opErr != nil && st.Op == "create" {
			// A failed create leaves nothing behind but the Failed record.
			if err := e.teardown(); err != nil {
				pr.Log.Error("clean up after failed create", "id", key, "err", err)
			}
			st.PublicRecords, st.Nodes = nil, nil
		}
		if err := pr.finish(ctx, rec, &st, opErr); err != nil && ctx.Err() == nil {
			pr.Log.Error("finish managed cluster operation", "id", key, "err", err)
		}
	}
}

func (pr *Provider) retry(key string) {
	time.AfterFunc(2*time.Second, func() {
		if pr.ctx.Err() == nil {
			pr.queue.Add(key)
		}
	})
}

// realise creates or updates everything the cluster owns.
func (e *env) realise() error {
	if err := e.checkPermissions(); err != nil {
		return err
	}
	if err := e.ensureNodeResourceGroup(); err != nil {
		return err
	}
	if err := e.ensureNodeSubnet(); err != nil {
		return err
	}
	if err := e.ensureHost(); err != nil {
		return err
	}
	if err := e.removeOldHost(); err != nil {
		return err
	}
	if err := e.ensurePrivatePath(); err != nil {
		return err
	}
	if err := e.ensureDNS(); err != nil {
		return err
	}
	c, err := e.ensureRuntime()
	if err != nil {
		return err
	}
	nodes, err := e.ensureNodes()
	if err != nil {
		return err
	}
	if err := e.ensureKubenetRoutes(nodes); err != nil {
		return fmt.Errorf("kubenet routes: %w", err)
	}
	for _, n := range e.st.Nodes {
		// Machines deallocated by a stop run again.
		if _, err := e.pr.ARM.Post(e.ctx, n.VMID+"/start", computeAPI, nil, false); err != nil {
			return fmt.Errorf("start node %s: %w", n.Name, err)
		}
	}
	if err := c.EnsureNodes(e.ctx, nodes); err != nil {
		return fmt.Errorf("register nodes: %w", err)
	}
	if err := e.startAgents(c); err != nil {
		return fmt.Errorf("start the node agent and cloud provider: %w", err)
	}
	return nil
}

// resume restarts a settled, running cluster's API server after a daemon
// restart (its listener target changes) and re-registers its nodes.
func (e *env) resume() error {
	c, err := e.ensureRuntime()
	if err != nil {
		return err
	}
	if err := c.EnsureNodes(e.ctx, e.kubeNodes()); err != nil {
		return err
	}
	return e.startAgents(c)
}

// stop deallocates the nodes and stops the control plane; its Kubernetes
// data stays. A Private Link cluster's private link service and endpoint
// go (start recreates them, so endpoints users made to it break).
func (e *env) stop() error {
	for _, n := range e.st.Nodes {
		if _, err := e.pr.ARM.Post(e.ctx, n.VMID+"/deallocate", computeAPI, nil, false); err != nil && !isNotFound(err) {
			return fmt.Errorf("deallocate node %s: %w", n.Name, err)
		}
	}
	e.pr.stopAgents(e.st.GUID)
	if err := e.pr.Kube.Stop(e.st.GUID); err != nil {
		return fmt.Errorf("stop the Kubernetes API server: %w", err)
	}
	if e.ap().private() && !e.ap().vnetIntegration() {
		if err := e.del(resPath(e.sub, e.nodeRG(), "Microsoft.Network/privateEndpoints", "kube-apiserver"), networkAPI); err != nil {
			return err
		}
		if err := e.del(resPath(InfraSubscription, e.infraRG(), "Microsoft.Network/privateLinkServices", "kube-apiserver"), networkAPI); err != nil {
			return err
		}
		e.st.PLSGeneration++
	}
	e.st.Power = "Stopped"
	return nil
}

// teardown removes everything the cluster owns: its Kubernetes data and
// certificates, the node resource group, the hidden control plane and
// its record in a custom private DNS zone.
func (e *env) teardown() error {
	e.pr.stopAgents(e.st.GUID)
	e.pr.forgetRuns(e.id.String())
	if err := e.pr.Kube.Delete(e.ctx, e.st.GUID); err != nil {
		return fmt.Errorf("delete the Kubernetes control plane: %w", err)
	}
	if e.ap().zoneMode() == "custom" {
		if priv := str(e.raw, "privateFQDN"); priv != "" {
			zone := e.ap().PrivateDNSZone
			label := strings.TrimSuffix(priv, "."+strings.ToLower(lastSeg(zone)))
			if err := e.del(zone+"/A/"+label, zoneAPI); err != nil {
				return err
			}
		}
	}
	// The endpoint (node resource group) holds a connection to the link
	// service (control plane); the control plane's host may hold addresses
	// in a subnet of the node resource group's VNet.
	if e.nodeRG() != "" {
		if err := e.del(resPath(e.sub, e.nodeRG(), "Microsoft.Network/privateEndpoints", "kube-apiserver"), networkAPI); err != nil {
			return err
		}
	}
	if err := e.del(groupPath(InfraSubscription, e.infraRG()), groupsAPI); err != nil {
		return err
	}
	if err := e.releaseKubenetRoutes(); err != nil {
		return err
	}
	if e.nodeRG() != "" {
		return e.del(groupPath(e.sub, e.nodeRG()), groupsAPI)
	}
	return nil
}

// finish records the operation's outcome unless the cluster changed
// meanwhile (a delete was accepted).
func (pr *Provider) finish(ctx context.Context, rec0 *arm.Record, st *internalState, opErr error) error {
	return pr.engine.Run(ctx, func(t *arm.Txn) error {
		rec, err := t.Get(ctx, rec0.Resource.ID)
		if err != nil || rec == nil || rec.Generation != rec0.Generation || arm.Terminal(rec.State) {
			return err
		}
		st.Op = ""
		raw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		rec.Internal = raw
		state := arm.StateSucceeded
		rec.OpError = nil
		if opErr != nil {
			state = arm.StateFailed
			ae, ok := arm.AsError(opErr)
			if !ok {
				ae = &arm.Error{Code: "InternalServerError", Message: fmt.Sprintf("The operation failed: %v", opErr)}
			}
			rec.OpError = ae
		}
		rec.State = state
		props := rec.Resource.PropertiesMap()
		props["provisioningState"] = state
		props["powerState"] = map[string]any{"code": st.Power}
		if pools, ok := props["agentPoolProfiles"].([]any); ok {
			for _, p := range pools {
				if pm, ok := p.(map[string]any); ok {
					pm["powerState"] = map[string]any{"code": st.Power}
					pm["provisioningState"] = state
				}
			}
		}
		rec.Resource.SetPropertiesMap(props)
		return t.Write(ctx, rec)
	})
}

// deleteClusterRoute serves DELETE of a managed cluster: the record stays
// in Deleting while the controller tears the cluster down (202, polled
// until the record is gone).
func (pr *Provider) deleteClusterRoute(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	id, err := routeID(req)
	if err != nil {
		return nil, err
	}
	var out *arm.Record
	err = pr.engine.Run(ctx, func(t *arm.Txn) error {
		out = nil
		rec, err := t.Get(ctx, id.String())
		if err != nil || rec == nil {
			return err
		}
		if rec.State != arm.StateDeleting {
			var st internalState
			if err := json.Unmarshal(rec.Internal, &st); err != nil {
				return err
			}
			st.Op = "delete"
			raw, err := json.Marshal(st)
			if err != nil {
				return err
			}
			rec.Internal = raw
			rec.MarkDeleting()
			if err := t.Write(ctx, rec); err != nil {
				return err
			}
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return &arm.Response{Status: http.StatusNoContent}, nil
	}
	pr.queue.Add(strings.ToLower(out.Resource.ID))
	return &arm.Response{Status: http.StatusAccepted, Header: arm.OperationHeaders(req, Namespace, out.Resource.Location, out, true, true)}, nil
}

// routeID is the resource ID of a request served by a special route,
// after the api-version check the generic routes make.
func routeID(req *arm.Request) (arm.ID, error) {
	id, err := arm.ParseID(req.HTTP.URL.Path)
	if err != nil {
		return arm.ID{}, arm.NotFound("InvalidResourceId", "The resource id '%s' is not valid: %v", req.HTTP.URL.Path, err)
	}
	if !slices.Contains(APIVersions, req.APIVersion) {
		return arm.ID{}, arm.BadRequest("NoRegisteredProviderFound",
			"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'.",
			"global", req.APIVersion, id.Types[0], strings.Join(APIVersions, ", "))
	}
	id = req.Engine.Registry.Canonicalize(id)
	return id, nil
}

// deleteCluster runs when a cluster's record goes another way than its own
// DELETE (deleteClusterRoute), i.e. with its resource group: the teardown
// follows once the deletion has committed.
func (pr *Provider) deleteCluster(_ context.Context, op *arm.DeleteOp) error {
	if op.Record.State == arm.StateDeleting {
		return nil // the controller's own deletion, after the teardown
	}
	rec := *op.Record
	pr.wg.Add(1)
	go func() {
		defer pr.wg.Done()
		// Wait for the deletion to commit (it may also fail and leave the
		// cluster in place).
		for i := 0; ; i++ {
			select {
			case <-pr.ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			cur, err := pr.engine.GetRecord(pr.ctx, rec.Resource.ID)
			if err == nil && cur == nil {
				break
			}
			if i > 300 {
				return
			}
		}
		var st internalState
		if err := json.Unmarshal(rec.Internal, &st); err != nil {
			return
		}
		e, err := newEnv(pr.ctx, pr, &rec, &st)
		if err != nil {
			return
		}
		if err := e.teardown(); err != nil {
			pr.Log.Error("tear down a cluster deleted with its resource group", "id", rec.Resource.ID, "err", err)
		}
	}()
	return nil
}
