package handlers

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// MaxNestingDepth bounds how deeply a JSON body nests objects and arrays.
// Merging a patch costs time and memory that grow with the square of its
// depth (a 9,000-deep merge patch of 54 KB took 14 s and 1 GB): at 1,000
// levels it stays a fraction of a second, and far deeper than any object
// a client has reason to send.
const MaxNestingDepth = 1000

// checkDepth refuses JSON nested deeper than MaxNestingDepth. It scans the
// bytes once, without decoding them; what is not JSON is left for the
// decoder to refuse.
func checkDepth(data []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > MaxNestingDepth {
				return apierrors.NewBadRequest(fmt.Sprintf("the request body nests objects and arrays more than %d levels deep", MaxNestingDepth))
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
