import { isIP } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHop, parseIp, NONE, V4, V6 } from '../../dist/net/address.js';
import { canonicalText } from '../../dist/net/format.js';

const familyOf = (s) => ({ [NONE]: 0, [V4]: 4, [V6]: 6 })[parseIp(s, 0, s.length)];
// Acceptance must match net.isIP; the family may differ only where IPv4-mapped IPv6 folds to IPv4.
const agrees = (s) => {
  const ours = familyOf(s);
  const node = isIP(s);
  return ours === node || (ours === 4 && node === 6 && /^::ffff:/i.test(s.replace(/^(0{1,4}:){5}/, '::')));
};
const canonical = (s) => {
  const f = parseIp(s, 0, s.length);
  return f === NONE ? null : canonicalText(f, s, 0, s.length);
};
const hop = (s) => {
  const f = parseHop(s, 0, s.length);
  return f === NONE ? null : canonicalText(f, '', 0, 0);
};

test('accepts exactly what net.isIP accepts, on hand-picked forms', () => {
  const samples = [
    '1.2.3.4', '0.0.0.0', '255.255.255.255', '01.2.3.4', '1.2.3.04', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..3.4',
    '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1::2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9',
    'fe80::1%eth0', 'fe80::1%', 'fe80::1%e_0', 'FE80::ABCD', '::ffff:1.2.3.4', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4', '::ffff:01.2.3.4', '00000::1', '0000::1', ':1::', '1:::2', '1:2', ':', '', ' 1.2.3.4', '[::1]',
    'g::1', '1.2.3.4 ', '::ffff:1.2.3', '1::1.2.3.4', '1:2:3:4:5:6:7:8%z', '::%1',
  ];
  for (const s of samples) assert.ok(agrees(s), `${JSON.stringify(s)}: ours ${familyOf(s)}, net.isIP ${isIP(s)}`);
});

test('accepts exactly what net.isIP accepts, on 20,000 generated near-addresses', () => {
  let seed = 12345;
  const rand = (n) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const alphabet = '0123456789abcdefABCDEF:.%';
  const pieces = ['::', ':', '.', '0', 'ffff', '1', '255', '256', '1.2.3.4', 'fe80', '%eth0', '0000', '00000', 'g'];
  for (let i = 0; i < 20000; i++) {
    let s = '';
    const n = 1 + rand(9);
    for (let k = 0; k < n; k++) s += rand(3) === 0 ? alphabet[rand(alphabet.length)] : pieces[rand(pieces.length)];
    assert.ok(agrees(s), `${JSON.stringify(s)}: ours ${familyOf(s)}, net.isIP ${isIP(s)}`);
  }
});

test('IPv4-mapped IPv6 folds to IPv4', () => {
  assert.is(familyOf('::ffff:10.0.0.1'), 4);
  assert.is(canonical('::ffff:10.0.0.1'), '10.0.0.1');
  assert.is(canonical('::FFFF:a00:1'), '10.0.0.1');
  assert.is(canonical('0:0:0:0:0:ffff:7f00:1'), '127.0.0.1');
});

test('canonical text follows RFC 5952', () => {
  const cases = [
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::1.2.3.4', '::102:304'],
    ['fe80::1%eth0', 'fe80::1'],
    ['1.2.3.4', '1.2.3.4'],
  ];
  for (const [input, want] of cases) assert.is(canonical(input), want, input);
});

test('canonical text reuses the input string when it is already canonical', () => {
  const s = '2001:db8::1';
  assert.ok(canonicalText(parseIp(s, 0, s.length), s, 0, s.length) === s);
});

test('hop items: addresses with ports and brackets', () => {
  const cases = [
    ['1.2.3.4:8080', '1.2.3.4'],
    ['1.2.3.4:65535', '1.2.3.4'],
    ['1.2.3.4:65536', null],
    ['1.2.3.4:', null],
    ['1.2.3.4:80:80', null],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[2001:db8::1]:', null],
    ['[2001:db8::1', null],
    ['[1.2.3.4]', null],
    ['[::ffff:1.2.3.4]:80', '1.2.3.4'],
    ['[fe80::1%eth0]:80', 'fe80::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['unknown', null],
    ['_hidden', null],
    ['localhost:80', null],
  ];
  for (const [input, want] of cases) assert.is(hop(input), want, input);
});

test.run();
