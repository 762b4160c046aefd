// libs/address: IP addresses and CIDR subnets (IPv4, IPv6, IPv4-mapped), and
// the one matcher of source addresses against rules with optional port and
// transport. Used by permissions, secfilter and pike.
//   parseIp(text)          {v:4,n:number} | {v:6,n:bigint} | undefined
//   parseCidr(text)        Cidr | problem text (config validation says it as is)
//   new AddressMatcher(rules).match(ip, port?, proto?) -> the most specific rule's value
//   AddressMatcher.of(["10.0.0.0/8", "192.0.2.1"]).has(ip)
export {
  parseIp,
  parseIpv4,
  parseIpv6,
  parseCidr,
  cidrContains,
  isExact,
  formatIpv4,
  formatIpv6,
  formatIp,
  formatCidr,
  v4Mask,
  v6Mask,
  type ParsedIp,
  type Cidr,
} from './ip.ts';
export { AddressMatcher, type AddressRule } from './matcher.ts';
