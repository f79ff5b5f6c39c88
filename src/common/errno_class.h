/* SPDX-License-Identifier: Apache-2.0 */
/* errno -> the constructorName of the SDK's error objects (Deno's classes). */
#pragma once

const char *al_errno_class(int code);
