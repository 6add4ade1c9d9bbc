#!/bin/sh
# runs in the app image, over the vendor's base: its busybox and its release file
echo "hello from an app over a docker-archive base"
echo "base: $(cat /etc/vendor-release)"
echo "shell: $(busybox | head -n 1 | cut -d ' ' -f 1,2)"
