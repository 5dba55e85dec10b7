package cel

import (
	"context"
	"strings"
	"testing"
)

// kube's documented examples of its lists and regex libraries.
func TestLibraries(t *testing.T) {
	env, err := NewEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ expr, err string }{
		{`[1, 2, 3].isSorted()`, ""},
		{`['a', 'b', 'b', 'c'].isSorted()`, ""},
		{`![2.0, 1.0].isSorted()`, ""},
		{`[1, 2, 3].sum() == 6`, ""},
		{`[1.5, 2.5].sum() == 4.0`, ""},
		{`[duration('1s'), duration('2s')].sum() == duration('3s')`, ""},
		{`[1, 2, 3].min() == 1 && [1, 2, 3].max() == 3`, ""},
		{`['b', 'a'].min() == 'a'`, ""},
		{`[1, 2, 2, 3].indexOf(2) == 1 && [1, 2, 2, 3].lastIndexOf(2) == 2 && [1].indexOf(5) == -1`, ""},
		{`"abc 123".find('[0-9]+') == '123' && "abc".find('[0-9]+') == ''`, ""},
		{`"123 abc 456".findAll('[0-9]+') == ['123', '456']`, ""},
		{`"123 abc 456".findAll('[0-9]+', 1) == ['123']`, ""},
		{`quantity("1Gi").isGreaterThan(quantity("1000Mi")) && quantity("100m").isLessThan(quantity("1"))`, ""},
		{`quantity("1.5").add(quantity("500m")) == quantity("2") && quantity("5").sub(2).asInteger() == 3`, ""},
		{`quantity("200m").compareTo(quantity("0.2")) == 0 && quantity("-1").sign() == -1`, ""},
		{`isQuantity("10Gi") && !isQuantity("ten") && !quantity("1.5").isInteger()`, ""},
		{`quantity("1.5").asApproximateFloat() == 1.5`, ""},
		{`quantity("ten").sign() == 1`, "quantities must match the regular expression"},
		{`url('https://example.com:80/a%20b?k=v&k=w').getHost() == 'example.com:80' && url('https://example.com:80/').getPort() == '80'`, ""},
		{`url('https://[::1]:80/').getHostname() == '::1' && url('/absolute-path').getScheme() == ''`, ""},
		{`url('https://example.com/a%20b').getEscapedPath() == '/a%20b' && url('https://e.com/?k=v&k=w').getQuery() == {'k': ['v', 'w']}`, ""},
		{`isURL('https://example.com/') && !isURL('example.com') && !isURL('../relative')`, ""},
		{`url('relative').getScheme() == ''`, "URL parse error"},
		{`ip('192.168.0.1').family() == 4 && ip('::1').family() == 6 && ip('127.0.0.1').isLoopback() && ip('0.0.0.0').isUnspecified()`, ""},
		{`ip('fe80::1').isLinkLocalUnicast() && ip('ff02::2').isLinkLocalMulticast() && ip('192.168.0.1').isGlobalUnicast()`, ""},
		{`isIP('1.2.3.4') && !isIP('1.2.3') && !isIP('::ffff:1.2.3.4') && ip.isCanonical('2001:db8::abcd') && !ip.isCanonical('2001:DB8::ABCD')`, ""},
		{`string(ip('::1')) == '::1' && ip('10.0.0.1') == ip('10.0.0.1')`, ""},
		{`cidr('192.168.0.0/24').containsIP('192.168.0.1') && !cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))`, ""},
		{`cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24') && !cidr('192.168.0.0/24').containsCIDR(cidr('192.168.0.0/16'))`, ""},
		{`cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24') && cidr('::1/128').prefixLength() == 128 && cidr('10.0.0.0/8').ip() == ip('10.0.0.0')`, ""},
		{`isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0') && string(cidr('10.0.0.0/8')) == '10.0.0.0/8'`, ""},
		{`ip('1.2.3').family() == 4`, "parse error"},
		{`!format.dns1123Label().validate('my-name').hasValue() && format.dns1123Label().validate('MY_NAME').hasValue()`, ""},
		{`format.named('dns1123Subdomain').value().validate('a.b.c') == optional.none() && !format.named('nope').hasValue()`, ""},
		{`format.dns1123LabelPrefix().validate('prefix-') == optional.none() && format.uuid().validate('not-a-uuid').hasValue()`, ""},
		{`format.date().validate('2024-01-31') == optional.none() && format.datetime().validate('2024-01-31').hasValue()`, ""},
		{`[0][1:].min() == 0`, "compilation failed"},
		{`"a".find('[') == ''`, "invalid regex"},
		{`dyn([]).min() == 1`, "min called on empty list"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			p, err := env.Compile(tc.expr, BoolType)
			if err != nil {
				if tc.err == "" || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("compile: %v", err)
				}
				return
			}
			ok, err := p.EvalBool(context.Background(), nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !ok {
				t.Errorf("= %v, %v", ok, err)
			}
		})
	}
}
