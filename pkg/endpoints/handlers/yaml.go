package handlers

import (
	"errors"
	"fmt"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// maxExpandedYAML bounds what a YAML body may expand to through its
// aliases: no more than the body limit, as if it had been sent expanded.
const maxExpandedYAML = MaxBodyBytes

// nodeOverhead is what a node costs beyond its text: the punctuation of its
// JSON form, and its memory.
const nodeOverhead = 8

// errAliasBomb: the document's aliases expand it past maxExpandedYAML.
var errAliasBomb = fmt.Errorf("yaml: the document expands to more than %d bytes through its aliases", maxExpandedYAML)

// yamlToJSON converts a YAML body to JSON, after checking on its parse tree,
// where an alias is only a reference, that expanding its aliases stays
// within maxExpandedYAML: a few hundred kilobytes of nested aliases would
// otherwise become gigabytes of JSON.
func yamlToJSON(data []byte) ([]byte, error) {
	var doc yamlv3.Node
	// What this parser refuses is left to the converter, whose errors are
	// kube-apiserver's (and which bounds aliasing its own, coarser way).
	if yamlv3.Unmarshal(data, &doc) == nil {
		if _, err := expandedSize(&doc, map[*yamlv3.Node]int64{}); err != nil {
			return nil, err
		}
	}
	out, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	return out, checkDepth(out)
}

// expandedSize returns the size of n with every alias expanded, memoized in
// sizes (-1 marks a node being measured: an alias to it is a cycle).
func expandedSize(n *yamlv3.Node, sizes map[*yamlv3.Node]int64) (int64, error) {
	if n == nil {
		return 0, nil
	}
	if s, ok := sizes[n]; ok {
		if s < 0 {
			return 0, errors.New("yaml: an alias refers to a node that contains it")
		}
		return s, nil
	}
	sizes[n] = -1
	var total int64
	if n.Kind == yamlv3.AliasNode {
		s, err := expandedSize(n.Alias, sizes)
		if err != nil {
			return 0, err
		}
		total = s
	} else {
		total = int64(len(n.Value)) + nodeOverhead
		for _, c := range n.Content {
			s, err := expandedSize(c, sizes)
			if err != nil {
				return 0, err
			}
			total += s
			if total > maxExpandedYAML {
				return 0, errAliasBomb
			}
		}
	}
	if total > maxExpandedYAML {
		return 0, errAliasBomb
	}
	sizes[n] = total
	return total, nil
}

// yamlWarnings words a strict YAML decoding error as kube-apiserver's
// warnings: one per problem the parser listed ("line 7: key \"a\" already
// set in map"), or the error itself.
func yamlWarnings(err error) []string {
	var typeErr *yamlv2.TypeError
	if !errors.As(err, &typeErr) {
		return []string{err.Error()}
	}
	out := make([]string, len(typeErr.Errors))
	for i, e := range typeErr.Errors {
		out[i] = strings.TrimSpace(e)
	}
	return out
}
