from pollama.cli.main import main

raise SystemExit(main())
