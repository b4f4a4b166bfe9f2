// Package armclient adapts the CLI's ARM client (internal/cli/arm) to
// arm.Client for platform services that call the ARM front end in
// process: its errors become *arm.Error at this one boundary, so a failed
// operation reports the inner resource's code and message.
package armclient

import (
	"context"
	"errors"
	"net/url"

	"github.com/privlink/privlink/internal/arm"
	clarm "github.com/privlink/privlink/internal/cli/arm"
)

// Adapter is arm.Client over a *clarm.Client.
type Adapter struct{ C *clarm.Client }

var _ arm.Client = Adapter{}

// ToARM maps the client's errors to *arm.Error.
func ToARM(err error) error {
	var ce *clarm.Error
	if errors.As(err, &ce) {
		return &arm.Error{Status: ce.StatusCode, Code: ce.Code, Message: ce.Message, Target: ce.Target}
	}
	return err
}

// Put implements arm.Client.
func (a Adapter) Put(ctx context.Context, path, v string, body any, noWait bool) (any, error) {
	out, err := a.C.Put(ctx, path, v, body, noWait)
	return out, ToARM(err)
}

// GetObject implements arm.Client.
func (a Adapter) GetObject(ctx context.Context, path, v string, q url.Values) (map[string]any, error) {
	out, err := a.C.GetObject(ctx, path, v, q)
	return out, ToARM(err)
}

// Post implements arm.Client.
func (a Adapter) Post(ctx context.Context, path, v string, body any, noWait bool) (any, error) {
	out, err := a.C.Post(ctx, path, v, body, noWait)
	return out, ToARM(err)
}

// Delete implements arm.Client.
func (a Adapter) Delete(ctx context.Context, path, v string, noWait bool) error {
	return ToARM(a.C.Delete(ctx, path, v, noWait))
}
