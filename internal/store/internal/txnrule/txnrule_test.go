package txnrule

import (
	"errors"
	"testing"

	"github.com/privlink/privlink/internal/store"
)

func TestValidate(t *testing.T) {
	ok := [][]store.Op{
		nil,
		{{Kind: store.OpPut, Key: "a", Rev: -1}}, // put ignores Rev
		{{Kind: store.OpCheck, Key: "a"}, {Kind: store.OpUpdate, Key: "a"}},
		{{Kind: store.OpCheck, Key: "a"}, {Kind: store.OpCheck, Key: "a", Rev: 3}},
	}
	for _, ops := range ok {
		if err := Validate(ops); err != nil {
			t.Errorf("Validate(%+v): %v", ops, err)
		}
	}
	bad := [][]store.Op{
		{{Kind: store.OpPut, Key: ""}},
		{{Kind: 0, Key: "a"}},
		{{Kind: store.OpUpdate, Key: "a", Rev: -1}},
		{{Kind: store.OpPut, Key: "a"}, {Kind: store.OpDelete, Key: "a"}},
	}
	for _, ops := range bad {
		if err := Validate(ops); !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalid", ops, err)
		}
	}
}

func TestCheck(t *testing.T) {
	absent := State{}
	at5 := State{Exists: true, ModRevision: 5}
	cases := []struct {
		op   store.Op
		st   State
		want error
	}{
		{store.Op{Kind: store.OpCreate}, absent, nil},
		{store.Op{Kind: store.OpCreate}, at5, store.ErrExists},
		{store.Op{Kind: store.OpUpdate}, absent, store.ErrNotFound},
		{store.Op{Kind: store.OpUpdate}, at5, nil},
		{store.Op{Kind: store.OpUpdate, Rev: 5}, at5, nil},
		{store.Op{Kind: store.OpUpdate, Rev: 4}, at5, store.ErrConflict},
		{store.Op{Kind: store.OpUpdate, Rev: 4}, absent, store.ErrNotFound},
		{store.Op{Kind: store.OpDelete}, absent, store.ErrNotFound},
		{store.Op{Kind: store.OpDelete, Rev: 6}, at5, store.ErrConflict},
		{store.Op{Kind: store.OpPut, Rev: 9}, at5, nil},
		{store.Op{Kind: store.OpPut}, absent, nil},
		{store.Op{Kind: store.OpCheck}, absent, nil},
		{store.Op{Kind: store.OpCheck}, at5, store.ErrExists},
		{store.Op{Kind: store.OpCheck, Rev: 5}, at5, nil},
		{store.Op{Kind: store.OpCheck, Rev: 4}, at5, store.ErrConflict},
		{store.Op{Kind: store.OpCheck, Rev: 4}, absent, store.ErrNotFound},
	}
	for _, tc := range cases {
		err := Check(tc.op, tc.st)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("Check(%+v, %+v) = %v, want %v", tc.op, tc.st, err, tc.want)
		}
	}
}

func TestFirstFailureAndSingle(t *testing.T) {
	ops := []store.Op{
		{Kind: store.OpPut, Key: "a"},
		{Kind: store.OpUpdate, Key: "b"},
		{Kind: store.OpCreate, Key: "c"},
	}
	te := FirstFailure(ops, func(key string) State {
		return State{Exists: key == "c", ModRevision: 1}
	})
	if te == nil || te.Index != 1 || !errors.Is(te, store.ErrNotFound) {
		t.Fatalf("FirstFailure = %v, want op 1 ErrNotFound", te)
	}
	err := Single(te)
	var asTxn *store.TxnError
	if !errors.Is(err, store.ErrNotFound) || errors.As(err, &asTxn) {
		t.Fatalf("Single = %v (%T), want a plain ErrNotFound wrap", err, err)
	}
	if FirstFailure(ops[:1], func(string) State { return State{} }) != nil {
		t.Fatal("put failed a condition")
	}
}
