// SPDX-License-Identifier: Apache-2.0
#pragma once

// libnmz_sdk is built with hidden visibility; exactly the documented surface is
// exported. Interfaces carry the attribute too so that their vtables and RTTI
// live in libnmz_sdk.so only and dynamic_cast agrees between host and plugins.
#define NMZ_SDK_API [[gnu::visibility("default")]]
