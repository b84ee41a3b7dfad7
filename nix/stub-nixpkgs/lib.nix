# The part of nixpkgs' lib the perimeter flake uses, with the same meaning, written out small so the
# flake evaluates without nixpkgs (tests swap this flake in with --override-input). Module-system
# functions build plain records (mkIf -> { _type = "if"; ... }, as the real ones do) and nothing
# merges them: the tests call the Home Manager module directly.
let
  inherit (builtins)
    attrNames
    concatMap
    elem
    filter
    foldl'
    genList
    head
    isAttrs
    isFunction
    isString
    length
    listToAttrs
    map
    mapAttrs
    match
    replaceStrings
    split
    stringLength
    substring
    ;

  lib = rec {
    inherit
      attrNames
      elem
      filter
      head
      isFunction
      length
      listToAttrs
      mapAttrs
      ;
    attrValues = builtins.attrValues;

    genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
    nameValuePair = name: value: { inherit name value; };
    mapAttrsToList = f: attrs: map (n: f n attrs.${n}) (attrNames attrs);
    filterAttrs = pred: attrs: listToAttrs (concatMap (n: if pred n attrs.${n} then [ (nameValuePair n attrs.${n}) ] else [ ]) (attrNames attrs));
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    optionalAttrs = cond: attrs: if cond then attrs else { };
    optionalString = cond: s: if cond then s else "";
    all = builtins.all;
    any = builtins.any;
    last = list: builtins.elemAt list (length list - 1);
    fix = f: let x = f x; in x;
    concatStringsSep = builtins.concatStringsSep;
    concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
    hasPrefix = pre: s: substring 0 (stringLength pre) s == pre;
    hasSuffix = suf: s: let ls = stringLength s; lf = stringLength suf; in lf <= ls && substring (ls - lf) lf s == suf;
    hasInfix = infix: s: match ".*${escapeRegex infix}.*" s != null;
    removePrefix = pre: s: if hasPrefix pre s then substring (stringLength pre) (stringLength s) s else s;
    escapeRegex = replaceStrings
      [ "\\" "[" "]" "{" "}" "(" ")" "." "*" "+" "?" "^" "$" "|" ]
      [ "\\\\" "\\[" "\\]" "\\{" "\\}" "\\(" "\\)" "\\." "\\*" "\\+" "\\?" "\\^" "\\$" "\\|" ];
    splitString = sep: s: filter isString (split (escapeRegex sep) s);
    toLower = replaceStrings
      [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ]
      [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
    importJSON = path: builtins.fromJSON (builtins.readFile path);
    escapeShellArg = arg:
      let s = toString arg; in
      if match "[[:alnum:],._+:@%/-]+" s == null then "'${replaceStrings [ "'" ] [ "'\\''" ] s}'" else s;
    escapeShellArgs = list: builtins.concatStringsSep " " (map escapeShellArg list);
    makeBinPath = paths: builtins.concatStringsSep ":" (map (p: "${p}/bin") paths);
    assertMsg = pred: msg: pred || throw msg;
    fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    licenses.asl20 = { spdxId = "Apache-2.0"; };

    # Filesets: a record of the root and the paths (as strings, so nothing is copied to the store).
    # Like the real one, a path that is not maybeMissing must exist.
    fileset = {
      unions = sets: { _type = "fileset"; paths = concatMap (s: s.paths) (map toFileset sets); };
      maybeMissing = path: { _type = "fileset"; paths = if builtins.pathExists path then [ (toString path) ] else [ ]; };
      toSource = { root, fileset }: {
        _type = "fileset-source";
        root = toString root;
        files = (toFileset fileset).paths;
        outPath = "/nix/store/00000000000000000000000000000000-source";
      };
    };
    toFileset = s:
      if isAttrs s && s ? _type then s
      else if builtins.pathExists s then { _type = "fileset"; paths = [ (toString s) ]; }
      else throw "lib.fileset: ${toString s} does not exist";

    # Module system: option declarations and conditional definitions as plain records.
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: mkOption { type = types.bool; default = false; description = "Whether to enable ${name}."; };
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    types = {
      bool = { name = "bool"; };
      str = { name = "str"; };
      lines = { name = "lines"; };
      package = { name = "package"; };
      path = { name = "path"; };
      strMatching = pattern: { name = "strMatching"; inherit pattern; };
      listOf = elemType: { name = "listOf"; inherit elemType; };
      enum = values: { name = "enum"; inherit values; };
      nullOr = elemType: { name = "nullOr"; inherit elemType; };
    };
  };
in
lib
