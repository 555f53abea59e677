// SPDX-License-Identifier: Apache-2.0
#pragma once

// Marks the contract (docs/abi-policy.md): libnmz_sdk is built with hidden
// visibility and exports exactly what carries this attribute. Interfaces
// carry it too so that their vtables and RTTI live in libnmz_sdk.so only and
// dynamic_cast agrees between host and plugins. Toolkit headers never use
// it: the toolkit is linked statically and hidden into each user.
#define NMZ_SDK_API [[gnu::visibility("default")]]
