package privatelink

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/loadbalancer"
)

// A minimal view of a load balancer record over Azure's REST shape (the
// load balancer provider stores them so): what a private link service
// needs to know about the frontends it attaches to.

type lbFrontend struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		PrivateIPAddress string       `json:"privateIPAddress"`
		Subnet           *SubResource `json:"subnet"`
		PublicIPAddress  *SubResource `json:"publicIPAddress"`
		PublicIPPrefix   *SubResource `json:"publicIPPrefix"`
	} `json:"properties"`
}

type lbView struct {
	Rec  *arm.Record
	SKU  string
	FEs  []lbFrontend
	IPBE bool // a backend pool addresses backends by IP address
}

func loadLB(rec *arm.Record) (*lbView, error) {
	var sku struct {
		Name string `json:"name"`
	}
	if len(rec.Resource.SKU) > 0 {
		_ = json.Unmarshal(rec.Resource.SKU, &sku)
	}
	var p struct {
		FrontendIPConfigurations []lbFrontend `json:"frontendIPConfigurations"`
		BackendAddressPools      []struct {
			Properties struct {
				LoadBalancerBackendAddresses []struct {
					Properties struct {
						IPAddress string `json:"ipAddress"`
					} `json:"properties"`
				} `json:"loadBalancerBackendAddresses"`
			} `json:"properties"`
		} `json:"backendAddressPools"`
	}
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode load balancer %s: %w", rec.Resource.ID, err)
		}
	}
	v := &lbView{Rec: rec, SKU: sku.Name, FEs: p.FrontendIPConfigurations}
	if v.SKU == "" {
		v.SKU = "Basic"
	}
	for _, bp := range p.BackendAddressPools {
		for _, a := range bp.Properties.LoadBalancerBackendAddresses {
			if a.Properties.IPAddress != "" {
				v.IPBE = true
			}
		}
	}
	return v, nil
}

// frontendByID reads the load balancer of a frontend IP configuration ID
// (through the load balancer provider's FrontendByID) and returns it with
// the frontend (nil when either does not exist).
func frontendByID(ctx context.Context, t *arm.Txn, feID string) (*lbView, *lbFrontend, error) {
	rec, f, err := loadbalancer.FrontendByID(ctx, t, feID)
	if err != nil || rec == nil || f == nil {
		return nil, nil, err
	}
	lb, err := loadLB(rec)
	if err != nil {
		return nil, nil, err
	}
	lb.SKU = loadbalancer.DecodeSku(rec).Name
	fe := lbFrontend{ID: f.ID, Name: f.Name}
	fe.Properties.PrivateIPAddress = f.Properties.PrivateIPAddress
	if f.Properties.Subnet != nil {
		fe.Properties.Subnet = &SubResource{ID: f.Properties.Subnet.ID}
	}
	if f.Properties.PublicIPAddress != nil {
		fe.Properties.PublicIPAddress = &SubResource{ID: f.Properties.PublicIPAddress.ID}
	}
	if f.Properties.PublicIPPrefix != nil {
		fe.Properties.PublicIPPrefix = &SubResource{ID: f.Properties.PublicIPPrefix.ID}
	}
	if fe.ID == "" {
		id, _ := arm.ParseID(rec.Resource.ID)
		fe.ID = id.String() + "/frontendIPConfigurations/" + f.Name
	}
	return lb, &fe, nil
}
