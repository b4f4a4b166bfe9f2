package arm

import (
	"encoding/json"
	"errors"
)

func asTypeErr(err error, te **json.UnmarshalTypeError) bool { return errors.As(err, te) }
