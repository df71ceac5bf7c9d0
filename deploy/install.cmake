# deploy/install.cmake - what `cmake --install` and the Debian package
# (cpack -G DEB) put beside the binaries: the systemd unit, man pages, bash
# completion, the shipped bundles and example clusters, the docs.

# The unit names the prefix the files are installed under, known only at
# install time (cmake --install --prefix, or /usr inside the package).
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/deploy/hsd.service\" unit)
  string(REPLACE \"/usr/local\" \"\${CMAKE_INSTALL_PREFIX}\" unit \"\${unit}\")
  string(REPLACE \"file:///usr/share/doc\" \"file://\${CMAKE_INSTALL_PREFIX}/share/doc\" unit \"\${unit}\")
  file(WRITE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/hsd.service\" \"\${unit}\")
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/hsd.service\")
")
install(FILES deploy/man/hsd.8 deploy/man/hsctl.8 DESTINATION share/man/man8)
install(FILES deploy/completion/hsctl.bash DESTINATION share/bash-completion/completions
        RENAME hsctl)
install(DIRECTORY deploy/bundles deploy/examples DESTINATION share/hsd)
install(FILES README.md DESTINATION share/doc/hsd)
install(DIRECTORY docs/ DESTINATION share/doc/hsd)

# cpack -G DEB in the build directory: hsd_VERSION_amd64.deb for /usr.
set(CPACK_PACKAGE_NAME hsd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "hsd maintainers <hsd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "IDS in isolated audit spaces, joined by a WireGuard mesh, upgraded with no gap")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What hsd runs besides its libraries (docs/ARCHITECTURE.md).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "wireguard-go | wireguard-tools, wireguard-tools, nftables, iproute2, e2fsprogs, util-linux")
include(CPack)
