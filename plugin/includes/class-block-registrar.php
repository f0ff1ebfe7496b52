<?php
/**
 * Registers the Chat block from its build (plugin/build/chat/block.json, written
 * by `npm run build`), and tells admins when that build is missing.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Block_Registrar {

	public function __construct( private string $plugin_dir ) {
	}

	public function build_dir(): string {
		return $this->plugin_dir . '/build/chat';
	}

	public function is_built(): bool {
		return is_readable( $this->build_dir() . '/block.json' );
	}

	public function register(): void {
		if ( $this->is_built() ) {
			register_block_type( $this->build_dir() );
		}
	}

	public function missing_build_notice(): void {
		if ( $this->is_built() || ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-warning"><p>%s</p></div>',
			wp_kses(
				/* translators: %s: the command that builds the block. */
				sprintf( __( 'Sluice: the Chat block has not been built, so it is not available in the editor. In the plugin\'s source folder, run %s.', 'sluice' ), '<code>npm run build</code>' ),
				array( 'code' => array() )
			)
		);
	}
}
