/* ifnames.h - the name prefixes of the interfaces hsd makes.  nftables
 * rules match interfaces by these prefixes ("hsv*"), so each is said once. */
#ifndef HS_IFNAMES_H
#define HS_IFNAMES_H

#define IFNAME_SERVER "hsv" /* host side of a server space's veth */
#define IFNAME_AUDIT "hsa"  /* mesh side of an audit space's veth */
#define IFNAME_MESH "hsm"   /* a WireGuard link in the mesh namespace */
#define IFNAME_MIRROR "hsx" /* the copy of a server's traffic for its IDS */

#endif
