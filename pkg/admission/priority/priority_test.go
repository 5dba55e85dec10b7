package priority

import (
	"context"
	"strings"
	"testing"

	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

func TestValidate(t *testing.T) {
	stored := []schedulingv1.PriorityClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "d1"}, Value: 1, GlobalDefault: true},
		{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Value: 2},
	}
	p := Plugin{PriorityClasses: func(context.Context) ([]schedulingv1.PriorityClass, error) { return stored, nil }}
	alice := &user.Info{Name: "alice"}
	pc := func(name string, def bool) *schedulingv1.PriorityClass {
		return &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, GlobalDefault: def}
	}
	for _, tc := range []struct {
		name string
		a    admission.Attributes
		want string
	}{
		{"a second default", admission.Attributes{Operation: admission.Create, Name: "d2", Object: pc("d2", true), User: alice},
			`priorityclasses.scheduling.k8s.io "d2" is forbidden: PriorityClass d1 is already marked as default. Only one default can exist`},
		{"a class made default", admission.Attributes{Operation: admission.Update, Name: "plain", Object: pc("plain", true), OldObject: pc("plain", false), User: alice},
			`PriorityClass d1 is already marked as default`},
		{"the default updated", admission.Attributes{Operation: admission.Update, Name: "d1", Object: pc("d1", true), OldObject: pc("d1", true), User: alice}, ""},
		{"not a default", admission.Attributes{Operation: admission.Create, Name: "x", Object: pc("x", false), User: alice}, ""},
		{"a system class deleted", admission.Attributes{Operation: admission.Delete, Name: "system-node-critical", User: alice},
			`priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted`},
		{"another class deleted", admission.Attributes{Operation: admission.Delete, Name: "plain", User: alice}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.a.Resource = priorityClasses
			err := p.Validate(context.Background(), &tc.a)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("= %v, want %q", err, tc.want)
			}
		})
	}
}
