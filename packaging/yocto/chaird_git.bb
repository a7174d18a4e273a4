# SPDX-License-Identifier: MIT
SUMMARY = "Controller daemon for motorised massage chairs"
DESCRIPTION = "chaird drives a lumbar-focused massage chair through GPIO lines, \
sysfs PWM and IIO sensors, plays massage programs in a real-time control loop \
with a safety supervisor, and takes commands over MQTT. chair-sim runs programs \
on a simulated chair; chairctl (chaird-tools) is the MQTT command-line client."
SECTION = "utils"
LICENSE = "MIT"
# Every source file carries the SPDX line; the top meson.build's first line is it.
LIC_FILES_CHKSUM = "file://meson.build;beginline=1;endline=1;md5=b2dccaa94b3629a08bfb4f983cad6f89"

# Point these at your mirror or a fixed release (see README).
CHAIRD_GIT_URI ??= "git://github.com/chaird/chaird.git;protocol=https"
CHAIRD_GIT_BRANCH ??= "main"
SRC_URI = "${CHAIRD_GIT_URI};branch=${CHAIRD_GIT_BRANCH}"
SRCREV ??= "${AUTOREV}"
PV = "0.1.0+git${SRCPV}"
S = "${WORKDIR}/git"

inherit meson pkgconfig systemd useradd features_check

# The daemon talks to systemd (sd-event, sd_notify, watchdog) and ships a unit.
REQUIRED_DISTRO_FEATURES = "systemd"

# One recipe per meson dependency() that is always required (or looked up
# without being required: systemd.pc and udev.pc for the install directories).
# tests/test-yocto-recipe.py checks this list against the meson files.
DEPENDS = "libcyaml libyaml json-c systemd mosquitto"

# Optional parts follow the meson feature options of the same name.  The linux
# backend builds against libgpiod 2.x (meta-oe in scarthgap and later: 2.1) or
# 1.6 (kirkstone), whichever the layer provides; meson picks lib/gpio-v2.c or
# lib/gpio-v1.c from its version.  Without "gpiod" only the sim backend works.
PACKAGECONFIG ??= "gpiod"
PACKAGECONFIG[gpiod] = "-Dgpiod=enabled,-Dgpiod=disabled,libgpiod"
PACKAGECONFIG[tests] = "-Dtests=enabled,-Dtests=disabled,cmocka"
PACKAGECONFIG[man] = "-Dman=enabled,-Dman=disabled,scdoc-native"

EXTRA_OEMESON += "-Dfuzz=false"

PACKAGES =+ "${PN}-tools"
FILES:${PN}-tools = "${bindir}/chairctl"
FILES:${PN} += " \
    ${datadir}/chaird \
    ${systemd_system_unitdir} \
    ${nonarch_libdir}/sysusers.d \
    ${nonarch_libdir}/udev/rules.d \
    ${nonarch_base_libdir}/udev/rules.d \
"
CONFFILES:${PN} = "${sysconfdir}/chaird/chaird.yaml"

SYSTEMD_SERVICE:${PN} = "chaird.service"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

# The same accounts as systemd/chaird.sysusers, made at image build time: the
# chaird user (own group) in the gpio group that owns GPIO chips and sysfs PWM.
USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system gpio"
USERADD_PARAM:${PN} = "--system --home-dir /var/lib/chaird --no-create-home \
    --shell /sbin/nologin --user-group --groups gpio chaird"
