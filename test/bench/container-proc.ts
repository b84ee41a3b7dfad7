// What the entrypoint reads about its container, as rootful podman 4.3 (runc) gave it to uid 1000 on
// this machine (2026-12-01), written under an unpacked image so the benchmark's entrypoint runs every
// check for real on a host that is no container: realEnvironment(root) prefixes each path it reads.
// The mount table also names a small mounted workspace (/work), so the socket scan walks a tree.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const STATUS = [
  "Name:\tnode", "Umask:\t0022", "State:\tR (running)", "Uid:\t1000\t1000\t1000\t1000", "Gid:\t1000\t1000\t1000\t1000",
  "CapInh:\t0000000000000000", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapBnd:\t00000000a80425fb",
  "CapAmb:\t0000000000000000", "NoNewPrivs:\t0", "Seccomp:\t2", "Seccomp_filters:\t1", "",
].join("\n");

const MOUNTINFO = [
  "73 48 0:40 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/perimeter-podman/storage/overlay/l/6OPQ5LMI5QIYW6J7PVNKCJQ4ER",
  "74 73 0:43 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
  "75 73 0:44 / /dev rw,nosuid,noexec - tmpfs tmpfs rw,size=65536k,mode=755",
  "76 73 0:45 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro",
  "77 75 0:46 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620,ptmxmode=666",
  "78 75 0:42 / /dev/mqueue rw,nosuid,nodev,noexec,relatime - mqueue mqueue rw",
  "79 73 254:0 /run/perimeter-podman/userdata/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw",
  "80 75 0:39 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=64000k",
  "81 73 254:0 /run/perimeter-podman/userdata/.containerenv /run/.containerenv rw,relatime - ext4 /dev/vda rw",
  "82 73 254:0 /run/perimeter-podman/userdata/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw",
  "83 76 0:47 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755",
  "84 83 0:29 /libpod_parent/libpod-a483 /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu",
  "85 83 0:36 /libpod_parent/libpod-a483 /sys/fs/cgroup/pids ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,pids",
  "93 73 254:0 /srv/project /work rw,relatime - ext4 /dev/vda rw",
  "49 74 0:43 /bus /proc/bus ro,nosuid,nodev,noexec,relatime - proc proc rw",
  "52 74 0:43 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw",
  "53 74 0:48 / /proc/acpi ro,relatime - tmpfs tmpfs ro",
  "56 76 0:49 / /sys/firmware ro,relatime - tmpfs tmpfs ro",
  "",
].join("\n");

/** An --internal network (the gateway's way): a route to its subnet, no default route. */
const ROUTE = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t0000590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
const ROUTE6 = "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n";

const DEVICES = ["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"];

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Writes the container's /proc, /dev and mounted files under `root`. */
export function writeContainerView(root: string): void {
  write(join(root, "proc/self/status"), STATUS);
  write(join(root, "proc/self/mountinfo"), MOUNTINFO);
  write(join(root, "proc/net/route"), ROUTE);
  write(join(root, "proc/net/ipv6_route"), ROUTE6);
  mkdirSync(join(root, "proc/1/ns"), { recursive: true });
  mkdirSync(join(root, "proc/self/ns"), { recursive: true });
  symlinkSync("pid:[4026532182]", join(root, "proc/self/ns/pid"));
  symlinkSync("mnt:[4026532178]", join(root, "proc/self/ns/mnt"));
  symlinkSync("mnt:[4026532178]", join(root, "proc/1/ns/mnt"));
  for (const name of DEVICES) write(join(root, "dev", name), "");
  for (const file of ["etc/hosts", "etc/hostname", "run/.containerenv"]) write(join(root, file), "\n");
  // A small project: 10 folders of 20 files, two levels deep.
  for (let d = 0; d < 10; d++) for (let f = 0; f < 20; f++) write(join(root, "work", `src${d}`, "lib", `file${f}.ts`), "export {};\n");
}
